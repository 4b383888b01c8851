"""One rule for every file a command writes: never over an input, another output of the
same run, a device, a FIFO or a folder, and never under a macro workbook's name.

Paths are compared after resolving ``..`` and symbolic links, so ``./in.csv``,
``sub/../in.csv`` and a link to the input are all the input.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import OutputFileError


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def check_outputs(
    outputs: Sequence[tuple[str, str | Path | None]], inputs: Iterable[str | Path | None] = ()
) -> None:
    """Refuse, with one line naming the option, any output that would replace an input,
    another output, or something that is not a regular file. ``outputs`` are
    ``(option, path)``; a ``None`` or ``-`` path is standard output and always fine."""
    taken = {_real(p): str(p) for p in inputs if p is not None and str(p) != "-"}
    seen: dict[Path, str] = {}
    for option, path in outputs:
        if path is None or str(path) == "-":
            continue
        real = _real(path)
        if real in taken:
            raise OutputFileError(
                f"{option} {path} is the input {taken[real]}; it would be overwritten. "
                f"Choose another file name"
            )
        if real in seen:
            raise OutputFileError(
                f"{option} {path} is also {seen[real]}; one output would replace the other. "
                f"Choose another file name"
            )
        seen[real] = f"{option} {path}"
        check_regular(real, option)
        if real.suffix.lower() == ".xlsm":
            # Read as input (macros never run), but a workbook written under that name has
            # no macros, and Excel refuses to open it ("format or extension not valid").
            raise OutputFileError(
                f"{option} {path}: the output is a workbook without macros; name it .xlsx"
            )


def check_regular(path: str | Path, option: str = "output") -> None:
    """Refuse a path that exists and is not a regular file (a folder, device, FIFO, socket)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputFileError(f"{option} {path}: cannot be checked ({exc.strerror})") from exc
    if stat.S_ISDIR(mode):
        raise OutputFileError(f"{option} {path} is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise OutputFileError(
            f"{option} {path} is not a regular file (a device, pipe or socket); the tool "
            f"writes a file and renames it into place, which would replace it. Give a file "
            f"name, or write to standard output with -o -"
        )
