"""tables.atomic: a file appears whole or not at all, with normal permissions."""

from __future__ import annotations

import hashlib
import os

import pytest

from classifier.tables import atomic_write_bytes, sha256_file


def test_atomic_write_creates_folders_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a" / "b" / "corpus.json"
    atomic_write_bytes(path, b"{}\n")
    assert path.read_bytes() == b"{}\n"
    assert [p.name for p in path.parent.iterdir()] == ["corpus.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's owner-only 0600


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "clauses.jsonl"
    path.write_bytes(b"old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["clauses.jsonl"]


def test_sha256_file(tmp_path):
    path = tmp_path / "x.bin"
    data = bytes(range(256)) * 5000  # over one read block
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
