"""One set of numeric kernels on every x86-64 machine, for byte-identical models and output.

numpy and OpenBLAS pick their kernels by CPU when they load: AVX-512 ones on newer Xeons,
AVX2 ones on older. Different kernels add in different orders and round ``exp`` and ``log``
differently, so the same training run gave blend weights differing in the fourth decimal
and other model arrays differing in the last bits on an AVX-512 machine and an AVX2 one;
retraining no longer reproduced the committed model byte for byte. Measured on an
AVX-512 machine: with numpy's AVX-512 dispatch targets turned off
(``NPY_DISABLE_CPU_FEATURES``) and OpenBLAS's Haswell kernels chosen
(``OPENBLAS_CORETYPE``), training reproduced the model committed from an AVX2 machine
exactly; with either one alone it did not. A value the user set is left alone. This works
only before numpy is first imported, which is why the package imports this module first.
"""

from __future__ import annotations

import os
import platform
import sys

OPENBLAS_CORETYPE = "Haswell"
# The dispatch targets above AVX2 (X86_V3) of the pinned numpy; numpy warns about a name
# it does not dispatch, so they are turned off only where the CPU has AVX-512.
NUMPY_DISABLED = "X86_V4 AVX512_ICL AVX512_SPR"


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (Linux; empty where they cannot be read)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def choose_kernels() -> None:
    if "numpy" in sys.modules or platform.machine().lower() not in ("x86_64", "amd64"):
        return
    flags = cpu_flags()
    if "avx2" not in flags:
        return
    if "avx512f" in flags:
        os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", NUMPY_DISABLED)
    os.environ.setdefault("OPENBLAS_CORETYPE", OPENBLAS_CORETYPE)


choose_kernels()
