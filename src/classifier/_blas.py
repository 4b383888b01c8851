"""One set of BLAS kernels on every x86-64 machine, for byte-identical models and output.

OpenBLAS picks its kernels by CPU model when it loads (AVX-512 ones on newer Xeons, AVX2
ones on older), and different kernels add in different orders: the same training run gave
blend weights differing in the fourth decimal on an AVX-512 machine and an AVX2 one, so
retraining no longer reproduced the committed model byte for byte. Where the CPU has AVX2,
the Haswell kernels are chosen (``OPENBLAS_CORETYPE``), unless the user chose otherwise.
This works only before numpy is first imported, which is why the package imports it first.
"""

from __future__ import annotations

import os
import platform
import sys

CORETYPE = "Haswell"


def has_avx2(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU reports AVX2 (Linux; ``False`` where that cannot be read)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "avx2" in line.split()
    except OSError:
        pass
    return False


def choose_kernels() -> None:
    if "numpy" in sys.modules or platform.machine().lower() not in ("x86_64", "amd64"):
        return
    if has_avx2():
        os.environ.setdefault("OPENBLAS_CORETYPE", CORETYPE)


choose_kernels()
