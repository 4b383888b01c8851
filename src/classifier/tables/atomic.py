"""Writing files so that a reader never sees half of one, and hashing them."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def _umask_mode() -> int:
    # mkstemp creates files readable by the owner only; give a finished output the
    # permissions any new file would get.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def publish(tmp: Path, path: Path) -> None:
    """Rename a completed temporary file over ``path`` with normal file permissions."""
    os.chmod(tmp, _umask_mode())
    os.replace(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename, never leaving half a file."""
    from .guard import check_regular

    path = Path(path)
    check_regular(path)  # never replace a device, pipe or folder with a file
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
