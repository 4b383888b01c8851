"""Safe by default, end to end: outputs never replace inputs or devices, a stopped run
leaves nothing half-written and no process behind, a full disk or a read-only folder is a
one-line message, and a model card is checked before any row is read.

The signal tests run the real script in a subprocess on ~30,000 generated rows so that
the run is still going when the signal arrives. The full-disk tests mount a 200 KB tmpfs
when this machine allows it, and otherwise make the writer's file writes fail with
ENOSPC (each test's docstring says which; the mode is printed with ``-s``).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import gc
import io
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classifier.cli import evaluate_main

from .helpers import (
    ADDED,
    MODEL_DIR,
    ROOT,
    committed_model_loaded_once,
    part_files,
    read_csv_output,
    run_classify,
)

LOCAL = "市町村の情報セキュリティ対策を支援する。"


@pytest.fixture
def model_once():
    with committed_model_loaded_once():
        yield


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _refused(argv, main=None) -> str:
    """Exit 2 with one ``error:`` line and no traceback; returns the line."""
    if main is None:
        rc, err = run_classify(argv)
    else:
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(io.StringIO()):
            rc = main([str(a) for a in argv])
        err = buf.getvalue()
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "bug in the tool" not in err
    return lines[0]


# ================================================================ 18. the output guard


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """An input CSV, XLSX and labelled CSV in the working directory, with their bytes."""
    from openpyxl import Workbook

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "in.csv", f"id,text\r\n1,{LOCAL}\r\n")
    wb = Workbook()
    wb.active.append(["id", "text"])
    wb.active.append([1, LOCAL])
    wb.save(tmp_path / "in.xlsx")
    _write(tmp_path / "lab.csv", f"id,text,labels\r\n1,{LOCAL},(2)②ⅲ\r\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "in.csv")
    return {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}


def _unchanged(folder: Path, before: dict[str, bytes]) -> None:
    now = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert now == before, "a refused run changed or added files"
    assert not part_files(folder)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["in.xlsx", "--review", "in.xlsx"], "--review in.xlsx is the input in.xlsx"),
        (["in.xlsx", "--review", "sub/../in.xlsx"], "is the input in.xlsx"),
        (["in.csv", "-o", "out.xlsx", "--review", "out.xlsx"], "--review out.xlsx is also -o"),
        (["in.csv", "-o", "link.csv"], "-o link.csv is the input in.csv"),
        (["in.csv", "-o", "sub/../in.csv"], "-o sub/../in.csv is the input in.csv"),
        (["in.csv", "-o", "./in.csv", "--output-format", "csv"], "is the input in.csv"),
        (["in.csv", "-o", "sub", "--output-format", "csv"], "sub is a folder; give a file name"),
    ],
)
def test_classify_never_writes_over_its_input_or_another_output(
    inputs, tmp_path, model_once, argv, message
):
    assert message in _refused(argv)
    _unchanged(tmp_path, inputs)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--report", "lab.csv"], "--report lab.csv is the input lab.csv"),
        (["--misclassified", "./lab.csv"], "--misclassified lab.csv is the input lab.csv"),
        (["--misclassified", "sub/../lab.csv"], "is the input lab.csv"),
        (["--report", "r.json", "--misclassified", "r.json"], "is also --report r.json"),
    ],
)
def test_evaluate_never_writes_over_the_labelled_file(inputs, tmp_path, extra, message):
    assert message in _refused(["lab.csv", "--gold-column", "labels", *extra], evaluate_main)
    _unchanged(tmp_path, inputs)


def test_devices_and_fifos_are_never_replaced(inputs, tmp_path, model_once):
    os.mkfifo("pipe")
    for target in ("/dev/null", "pipe"):
        message = _refused(["in.csv", "-o", target, "--output-format", "csv"])
        assert "not a regular file" in message and "-o -" in message
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null was replaced"
    assert stat.S_ISFIFO(os.stat("pipe").st_mode)
    with open("/dev/null", "rb") as fh:
        assert fh.read() == b""
    os.unlink("pipe")
    _unchanged(tmp_path, inputs)
    # Standard output is the way to write to a pipe or a device.
    rc, err = run_classify(["in.csv", "-o", "-", "-q"])
    assert rc == 0, err


# ================================================================ 19. clean shutdown


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (psutil when installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        parents: dict[int, list[int]] = {}
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat_file.read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2 :].split()
            parents.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
        found, todo = set(), [pid]
        while todo:
            for child in parents.get(todo.pop(), []):
                found.add(child)
                todo.append(child)
        return found
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it has exited)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"


def _is_worker(pid: int) -> bool:
    """A pool worker (not multiprocessing's resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {p for p in pids if _alive(p)}
        if not left:
            return set()
        time.sleep(0.1)
    return {p for p in pids if _alive(p)}


@pytest.fixture(scope="module")
def many_rows(tmp_path_factory) -> Path:
    """~30,000 short requests made from the labelled ones (a few seconds of work)."""
    with open(ROOT / "corpus" / "labelled" / "requests.csv", encoding="utf-8-sig") as fh:
        names = [r["事業名"] for r in csv.DictReader(fh)]
    path = tmp_path_factory.mktemp("big") / "requests.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows([i, f"{names[i % len(names)]}（{i}）"] for i in range(30_000))
    return path


def _start(src: Path, out: Path, jobs: int, log: Path) -> subprocess.Popen:
    script = str(ROOT / "scripts" / "classify.py")
    with open(log, "wb") as err:  # a file: workers left behind could hold a pipe open
        return subprocess.Popen(
            [sys.executable, script, str(src), "-o", str(out), "--jobs", str(jobs), "-q"],
            cwd=out.parent,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _wait_until(proc: subprocess.Popen, out: Path, log: Path, workers: int, written: int) -> set:
    """Wait until ``workers`` worker processes run and the partial output holds more than
    ``written`` bytes; return every process seen below the main one meanwhile."""
    seen: set[int] = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        seen |= _descendants(proc.pid)
        running = [p for p in seen if _alive(p) and _is_worker(p)]
        parts = part_files(out.parent)
        if parts and len(running) >= workers and parts[0].stat().st_size > written:
            return seen
        time.sleep(0.05)
    raise AssertionError("the run never got going")


@pytest.fixture
def reaper():
    """Processes a test saw, killed at its end if a failure left them running."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _needs_two_cpus() -> None:
    from classifier.workers import available_cpus

    if available_cpus() < 2:
        pytest.skip("a worker pool needs two CPUs; this machine gives the tests one")


# An earlier output of the same command (classify replaces only its own outputs).
PREVIOUS = b"id,text,label_1,status\r\n1,previous result,(1),ok\r\n"


@pytest.mark.parametrize("jobs", [2, 1])
def test_sigterm_stops_cleanly(many_rows, tmp_path, reaper, jobs):
    if jobs > 1:
        _needs_two_cpus()
    out = tmp_path / "requests.classified.csv"
    out.write_bytes(PREVIOUS)
    log = tmp_path.parent / f"{tmp_path.name}.log"
    proc = _start(many_rows, out, jobs, log)
    seen = _wait_until(proc, out, log, workers=2 if jobs > 1 else 0, written=0)
    reaper |= seen
    proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    proc.wait(timeout=60)
    took = time.monotonic() - start
    seen |= _descendants(proc.pid)
    print(f"\n--jobs {jobs}: exited {took:.1f} s after SIGTERM ({len(seen)} child processes)")
    err = log.read_text()
    assert proc.returncode == 143, err
    assert took < 15, f"{took:.1f} s to stop"
    assert err.strip() == "error: terminated; no output file was written", err
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name], "a partial file was left"
    assert not _gone_within(seen, 5), "processes of the run are left"


def test_workers_leave_when_the_main_process_is_killed(many_rows, tmp_path, reaper):
    """SIGKILL once the workers have sent back results (the partial output has grown)."""
    _needs_two_cpus()
    out = tmp_path / "o.csv"
    out.write_bytes(PREVIOUS)
    log = tmp_path.parent / f"{tmp_path.name}.log"
    proc = _start(many_rows, out, 2, log)
    seen = _wait_until(proc, out, log, workers=2, written=100_000)
    reaper |= seen
    assert len({p for p in seen if _is_worker(p)}) >= 2
    proc.kill()
    proc.wait(timeout=30)
    left = _gone_within(seen, 5)
    assert not left, f"processes {sorted(left)} outlived the main process by 5 s"
    assert out.read_bytes() == PREVIOUS  # never replaced by a partial file


def test_workers_leave_when_the_main_process_is_killed_early(many_rows, tmp_path, reaper):
    """SIGKILL while both workers are still starting (importing, loading the model): each
    watches the pid it was given, not whatever ``os.getppid()`` says once it gets there
    (by then it can be 1), so none is left waiting forever under PID 1."""
    _needs_two_cpus()
    out = tmp_path / "o.csv"
    log = tmp_path.parent / f"{tmp_path.name}.log"
    proc = _start(many_rows, out, 2, log)
    seen: set[int] = set()
    deadline = time.monotonic() + 90
    while len({p for p in seen if _is_worker(p)}) < 2:  # both spawned, not yet ready
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the workers never started"
        seen |= _descendants(proc.pid)
        time.sleep(0.02)
    reaper |= seen
    proc.kill()
    proc.wait(timeout=30)
    left = _gone_within(seen, 5)
    assert not left, f"processes {sorted(left)} outlived the main process by 5 s"


def test_classify_into_a_pipe_closed_early_ends_quietly(tmp_path):
    """``classify - < big.csv | head -1``: the reader leaves after one line; the run ends
    without a word, with the status a shell gives a process ended by SIGPIPE."""
    src = tmp_path / "in.csv"
    src.write_text(
        "id,text\n" + "".join(f"{i},{LOCAL}{i}\n" for i in range(6000)), encoding="utf-8"
    )
    with open(src, "rb") as stdin:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "classify.py"), "-"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        _, err_bytes = proc.communicate(timeout=120)
    err = err_bytes.decode()
    assert first.decode().startswith("id,text,label_1,")
    assert proc.returncode == 141, err
    assert err == "", err  # no "Broken pipe", no traceback, no "Exception ignored"


# ================================================================ 20. a full disk


def _mount(folder: Path, options: str) -> bool:
    """Mount a tmpfs on ``folder``; whether this machine allowed it."""
    if os.geteuid() != 0:
        return False
    cmd = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]
    try:
        return subprocess.run(cmd, capture_output=True, check=False).returncode == 0
    except OSError:  # no mount command
        return False


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A 200 KB folder: a tmpfs mounted there, or (where mounting is not allowed) the
    writer's file writes failing with ENOSPC once 200 KB are written."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = _mount(folder, "size=200k")
    if not mounted:
        _simulate_full_disk(monkeypatch, folder, 200_000)
    print(f"\nfull disk: {'a 200 KB tmpfs' if mounted else 'simulated (ENOSPC)'}")
    try:
        yield folder
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def _simulate_full_disk(monkeypatch, folder: Path, limit: int) -> None:
    import openpyxl.writer.excel as excel_writer

    from classifier.tables import write as write_mod

    written = {"n": 0}

    def charge(n: int) -> None:
        written["n"] += n
        if written["n"] > limit:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    class Full(io.TextIOWrapper):
        def write(self, s):
            charge(len(s.encode("utf-8", "replace")))
            return super().write(s)

    real_open = open

    def full_open(path, mode="r", *args, **kwargs):
        if Path(path).parent == folder and "w" in mode:
            fh = real_open(path, "wb")
            return Full(
                fh, encoding=kwargs.get("encoding"), errors=kwargs.get("errors"), newline=""
            )
        return real_open(path, mode, *args, **kwargs)

    class FullZip(excel_writer.ZipFile):
        def writestr(self, name, data, *args, **kwargs):
            charge(len(data) // 2)  # about what deflate leaves of it
            return super().writestr(name, data, *args, **kwargs)

        def write(self, filename, *args, **kwargs):
            charge(os.path.getsize(filename) // 2)
            return super().write(filename, *args, **kwargs)

    monkeypatch.setattr(write_mod, "open", full_open, raising=False)
    monkeypatch.setattr(excel_writer, "ZipFile", FullZip)


@pytest.fixture(scope="module")
def bulky_input(tmp_path_factory) -> Path:
    """300 requests with 3 KB of varied text each: about 1 MB of output in any format."""
    rng = random.Random(12)
    kanji = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    path = tmp_path_factory.mktemp("bulky") / "in.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "memo"])
        for i in range(300):
            writer.writerow([i, LOCAL, "".join(rng.choices(kanji, k=1000))])
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_a_full_disk_is_a_message_and_keeps_the_previous_file(
    small_disk, bulky_input, model_once, capfd, monkeypatch, fmt
):
    unraisable: list = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    out = small_disk / f"o.{fmt}"
    out.write_bytes(b"previous")
    # --force: the file is not an earlier output, and replacing it is what is tried here.
    message = _refused([bulky_input, "-o", out, "-q", "--force"])
    assert "disk is full" in message and str(out) in message
    assert ".part" not in message
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in small_disk.iterdir()) == [out.name]
    gc.collect()  # nothing half-closed may complain when it is collected (or at exit)
    captured = capfd.readouterr()
    for noise in ("Traceback", "Exception ignored"):
        assert noise not in captured.err + captured.out
    assert [str(u.exc_value) for u in unraisable] == [], "Python would print 'Exception ignored'"


# ================================================================ 16. a read-only folder


@pytest.fixture
def read_only_folder(tmp_path, monkeypatch):
    """A folder this process cannot write in: chmod 0o500, or (as root, who may write
    anyway) a read-only tmpfs mounted there, or failing that, creating files there
    refused with EACCES."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o500)
    how = "chmod 0o500"
    mounted = False
    if os.access(folder, os.W_OK):
        folder.chmod(0o700)
        mounted = _mount(folder, "ro,size=64k")
        how = "a read-only tmpfs"
        if not mounted:
            import tempfile

            real = tempfile.mkstemp

            def refuse(*args, dir=None, **kwargs):
                if dir is not None and Path(dir) == folder:
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
                return real(*args, dir=dir, **kwargs)

            monkeypatch.setattr(tempfile, "mkstemp", refuse)
            how = "file creation refused (EACCES)"
    print(f"\nread-only folder: {how}")
    try:
        yield folder
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.chmod(0o700)


def test_a_read_only_output_folder_is_named(read_only_folder, tmp_path, model_once):
    src = _write(tmp_path / "in.csv", f"id,text\r\n1,{LOCAL}\r\n")
    for ext in ("csv", "xlsx"):
        out = read_only_folder / f"o.{ext}"
        message = _refused([src, "-o", out])
        assert str(read_only_folder) in message, message
        assert ".part" not in message
        assert not out.exists()


# ================================================================ 22. model cards


def _model_with(tmp_path: Path, **parameters) -> Path:
    card = json.loads((MODEL_DIR / "model_card.json").read_text(encoding="utf-8"))
    card["parameters"].update(parameters)
    for key, value in parameters.items():
        if value is KeyError:
            del card["parameters"][key]
    model = tmp_path / "model"
    model.mkdir()
    (model / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    return model


@pytest.mark.parametrize(
    "value",
    ["abc", "0.3", float("nan"), float("inf"), -0.1, 1.5, None, True, [0.3], KeyError],
)
def test_a_bad_min_confidence_in_the_card_is_refused_before_any_row(tmp_path, value):
    model = _model_with(tmp_path, min_confidence=value)
    src = _write(tmp_path / "in.csv", f"id,text\r\n1,{LOCAL}\r\n2,道路\r\n")
    out = tmp_path / "o.csv"
    for extra in ([], ["--min-confidence", "0.5"]):
        message = _refused([src, "-o", out, "--model", model, *extra])
        assert "not a valid model card" in message and "min_confidence" in message
        assert "train.py" in message  # says how to put it right
        assert not out.exists()
    message = _refused([src, "--gold-column", "text", "--model", model], evaluate_main)
    assert "not a valid model card" in message


def test_a_good_card_still_loads(tmp_path, model_once):
    """The control: the committed card as it is classifies both rows."""
    src = _write(tmp_path / "in.csv", f"id,text\r\n1,{LOCAL}\r\n2,道路\r\n")
    rc, err = run_classify([src, "-o", tmp_path / "o.csv", "--model", MODEL_DIR, "-q"])
    assert rc == 0, err
    table = read_csv_output(tmp_path / "o.csv")
    assert len(table) == 3 and table[1][2 + ADDED.index("label_1")] == "(2)②ⅲ"
