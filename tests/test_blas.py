"""_blas: one set of OpenBLAS kernels on every x86-64 machine with AVX2."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from classifier import _blas

from .helpers import ROOT


def test_has_avx2_reads_the_flags_line(tmp_path):
    with_avx2 = tmp_path / "a"
    with_avx2.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n", encoding="ascii")
    without = tmp_path / "b"
    without.write_text("flags\t\t: fpu sse2 avx avx512f_not_avx2\n", encoding="ascii")
    no_flags = tmp_path / "c"
    no_flags.write_text("processor\t: 0\nmodel name\t: avx2 in a name\n", encoding="ascii")
    assert _blas.has_avx2(str(with_avx2)) is True
    assert _blas.has_avx2(str(without)) is False  # a whole flag, not a substring
    assert _blas.has_avx2(str(no_flags)) is False
    assert _blas.has_avx2(str(tmp_path / "missing")) is False


def _coretype_after_import(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if env_value is not None:
        env["OPENBLAS_CORETYPE"] = env_value
    env["PYTHONPATH"] = str(ROOT / "src")
    code = "import os, classifier, numpy; print(os.environ.get('OPENBLAS_CORETYPE', '-'))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_import_chooses_haswell_kernels_where_the_cpu_has_avx2():
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    expected = "Haswell" if x86 and _blas.has_avx2() else "-"
    assert _coretype_after_import(None) == expected


def test_import_leaves_a_users_choice_alone():
    assert _coretype_after_import("SkylakeX") == "SkylakeX"
