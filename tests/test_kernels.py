"""_kernels: one set of numpy and OpenBLAS kernels on every x86-64 machine with AVX2."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from classifier import _kernels

from .helpers import ROOT

VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")


def test_cpu_flags_reads_the_flags_line(tmp_path):
    info = tmp_path / "a"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\nbugs\t: x\n", "ascii")
    no_flags = tmp_path / "b"
    no_flags.write_text("processor\t: 0\nmodel name\t: avx2 in a name\n", encoding="ascii")
    assert _kernels.cpu_flags(str(info)) == {"fpu", "sse2", "avx2", "avx512f"}
    assert _kernels.cpu_flags(str(no_flags)) == frozenset()
    assert _kernels.cpu_flags(str(tmp_path / "missing")) == frozenset()


def _after_import(preset: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(preset)
    env["PYTHONPATH"] = str(ROOT / "src")
    code = f"import os, classifier, numpy\nfor k in {VARIABLES!r}: print(os.environ.get(k, '-'))"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split("\n")[:2]


def test_import_chooses_the_kernels_by_cpu():
    flags = _kernels.cpu_flags()
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    coretype = "Haswell" if x86 and "avx2" in flags else "-"
    disabled = _kernels.NUMPY_DISABLED if coretype != "-" and "avx512f" in flags else "-"
    # -W error: numpy accepts the disabled names without a warning.
    assert _after_import({}) == [coretype, disabled]


def test_import_leaves_a_users_choice_alone():
    assert _after_import({"OPENBLAS_CORETYPE": "SkylakeX", "NPY_DISABLE_CPU_FEATURES": ""}) == [
        "SkylakeX",
        "",
    ]
