"""_kernels: one set of numpy and OpenBLAS kernels on every x86-64 machine with AVX2."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

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


# ------------------------------------------------- choose_kernels on every kind of machine


def _choose(monkeypatch, tmp_path, machine: str, flags: str | None, numpy_loaded=False):
    """choose_kernels as on a machine with this name and these cpuinfo flags (``None``: no
    cpuinfo), with numpy loaded or not; returns the two variables after it."""
    info = tmp_path / "cpuinfo"
    if flags is not None:
        info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n", encoding="ascii")
    real_flags = _kernels.cpu_flags
    monkeypatch.setattr(_kernels, "cpu_flags", lambda cpuinfo=str(info): real_flags(cpuinfo))
    monkeypatch.setattr(_kernels.platform, "machine", lambda: machine)
    if not numpy_loaded:
        monkeypatch.delitem(sys.modules, "numpy", raising=False)
    else:
        monkeypatch.setitem(sys.modules, "numpy", sys.modules.get("numpy", object()))
    _kernels.choose_kernels()
    return [os.environ.get(k, "-") for k in VARIABLES]


def _clean(monkeypatch):
    """Neither variable set; whatever choose_kernels sets is undone after the test (set
    first so that monkeypatch records them, then removed)."""
    for k in VARIABLES:
        monkeypatch.setenv(k, "placeholder")
        monkeypatch.delenv(k)


AVX512 = "fpu sse2 avx avx2 avx512f avx512bw"


def test_avx512_x86_gets_both(monkeypatch, tmp_path):
    _clean(monkeypatch)
    got = _choose(monkeypatch, tmp_path, "x86_64", AVX512)
    assert got == ["Haswell", "X86_V4 AVX512_ICL AVX512_SPR"]


def test_avx2_x86_gets_the_haswell_kernels_only(monkeypatch, tmp_path):
    _clean(monkeypatch)
    assert _choose(monkeypatch, tmp_path, "AMD64", "fpu sse2 avx avx2") == ["Haswell", "-"]


@pytest.mark.parametrize(
    ("machine", "flags", "numpy_loaded"),
    [
        ("x86_64", "fpu sse2 avx", False),  # no AVX2
        ("x86_64", "fpu sse2 avx2x avx512", False),  # near misses are not avx2
        ("x86_64", None, False),  # no cpuinfo to read
        ("aarch64", AVX512, False),  # not x86-64, whatever the file says
        ("arm64", AVX512, False),
        ("x86_64", AVX512, True),  # too late: numpy has chosen already
    ],
    ids=["no avx2", "near misses", "no cpuinfo", "aarch64", "arm64", "numpy loaded"],
)
def test_nothing_is_set_elsewhere(monkeypatch, tmp_path, machine, flags, numpy_loaded):
    _clean(monkeypatch)
    assert _choose(monkeypatch, tmp_path, machine, flags, numpy_loaded) == ["-", "-"]


def test_a_users_values_are_kept(monkeypatch, tmp_path):
    _clean(monkeypatch)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "SkylakeX")
    # The one the user set is kept; the other is still chosen.
    assert _choose(monkeypatch, tmp_path, "x86_64", AVX512) == [
        "SkylakeX",
        "X86_V4 AVX512_ICL AVX512_SPR",
    ]
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", "")
    assert _choose(monkeypatch, tmp_path, "x86_64", AVX512) == ["SkylakeX", ""]


def test_cpu_flags_reads_only_the_first_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nvmx flags\t: avx512f\nflags\t\t: fpu avx2\n"
        "processor\t: 1\nflags\t\t: fpu avx2 avx512f\n",
        encoding="ascii",
    )
    assert _kernels.cpu_flags(str(info)) == {"fpu", "avx2"}
    empty = tmp_path / "empty"
    empty.write_text("flags\t\t:\n", encoding="ascii")
    assert _kernels.cpu_flags(str(empty)) == frozenset()
    assert _kernels.cpu_flags(str(tmp_path)) == frozenset()  # a folder cannot be read
    binary = tmp_path / "binary"
    binary.write_bytes(b"flags\t: avx2 \xff\xfe sse2\n")
    assert {"avx2", "sse2"} <= _kernels.cpu_flags(str(binary))
