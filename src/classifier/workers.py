"""Classifying a table chunk by chunk, in this process or in a pool of worker processes.

A chunk's output cells are made where its predictions are made, so a worker hands back
ready cells. With ``jobs > 1`` and a large input, chunks go to persistent worker processes
(each with its own model and Sudachi tokenizer, started fresh: nothing of Sudachi crosses a
process boundary), with at most two chunks per worker in flight, so memory stays bounded.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import WorkerError
from .predict import Prediction, Predictor
from .report import error_prediction, prediction_cells
from .store import load_model
from .tables import Row
from .textutil import cell_text, plural

# A worker pool pays from this many rows (short requests), or from this much text (long
# texts: the 2,906 review sheets of the development half, 1.85 million characters, run
# about 1.4-1.5 times as fast with two workers as in one process; measured on 2 cores).
# Below both, starting workers costs more than they save.
POOL_MIN_ROWS = 6000
POOL_MIN_CHARS = 1_000_000
# Text per task (a batch predicted together, in one process or by a worker): chunks of long
# texts are split so that workers get even shares (a file of two 2,000-row chunks would
# otherwise keep one worker idle).
POOL_TASK_CHARS = 300_000
ChunkResult = tuple[list[list[Any]], list[str], list[Prediction] | None]
_PENDING = error_prediction("not processed")


def row_text(row: Row, indexes: list[int]) -> str:
    """The request text of a row: its text cells joined, blanks and NaN skipped.

    Cleaning (NFKC, control characters) is left to the tokeniser, which does it once.
    """
    parts = [cell_text(row.cells[i]) for i in indexes]
    return "\n".join(p for p in parts if p.strip())


def predict_texts(
    predictor: Predictor, texts: list[str], errors: list[str | None]
) -> list[Prediction]:
    """Predictions for one chunk; rows that could not be read keep their error."""
    ok = [i for i, e in enumerate(errors) if e is None]
    preds: list[Prediction] = [error_prediction(e) if e is not None else _PENDING for e in errors]
    try:
        for i, p in zip(ok, predictor.predict([texts[i] for i in ok]), strict=True):
            preds[i] = p
    except Exception:
        # One bad row must not sink the chunk: retry one by one to find it.
        for i in ok:
            try:
                preds[i] = predictor.predict([texts[i]])[0]
            except Exception as exc:  # reported per row, never a traceback
                preds[i] = error_prediction(f"{type(exc).__name__}: {exc}"[:200])
    return preds


def classify_chunk(
    predictor: Predictor, texts: list[str], errors: list[str | None], keep: bool
) -> ChunkResult:
    """The appended output cells and status of every row (and the predictions if kept)."""
    preds = predict_texts(predictor, texts, errors)
    cells = [prediction_cells(p, predictor.top_k) for p in preds]
    return cells, [p.status for p in preds], preds if keep else None


_worker: Predictor | None = None
_worker_keep = False
_worker_error: str | None = None


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _watch_parent(parent: int) -> None:
    """In a worker: end the process soon after the main process is gone (killed, even
    with SIGKILL), instead of waiting forever for work that will never come."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _start_worker(
    model_dir: str,
    top_k: int,
    min_conf: float,
    level: str,
    set_threshold: float,
    scope_threshold: float | None,
    keep: bool,
    parent: int,
) -> None:
    """Worker process initialiser: load the model once; Sudachi is built on first use.

    ``parent`` is the main process's pid, passed in rather than read here: by the time a
    spawned worker has imported enough to run this, the main process may already be gone
    (SIGKILL) and ``os.getppid()`` be 1, which a watcher would then take as the parent.
    Ctrl-C is left to the main process, which stops the workers itself; a worker that
    cannot load the model says so with its first chunk instead of printing a traceback.
    """
    global _worker, _worker_keep, _worker_error
    if os.getppid() != parent:
        os._exit(1)  # orphaned before it started: nobody will ever send work
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    try:
        model, _ = load_model(Path(model_dir))
    except Exception as exc:
        _worker_error = f"{type(exc).__name__}: {exc}"
        return
    _worker = Predictor(
        model,
        model.policy_,
        top_k=top_k,
        min_confidence=min_conf,
        level=level,
        set_threshold=set_threshold,
        scope_threshold=scope_threshold,
    )
    _worker_keep = keep
    gc.freeze()  # the model lives as long as the worker: keep it out of collections


def _work(payload: tuple[list[str], list[str | None]]) -> ChunkResult:
    if _worker is None:
        raise WorkerError(
            f"a worker process could not load the model ({_worker_error}); "
            f"nothing was written. Run again, or with --jobs 1"
        )
    return classify_chunk(_worker, *payload, _worker_keep)


Prepared = tuple[list[Row], list[str], list[str | None]]


def predicted_chunks(
    chunks: Iterable[list[Row]],
    text_idx: list[int],
    predictor: Predictor,
    jobs: int,
    model_dir: Path,
    keep: bool = False,
    notes: list[str] | None = None,
) -> Iterator[tuple[list[Row], list[str], ChunkResult]]:
    """Yield ``(rows, texts, (cells, statuses, predictions or None))`` per chunk, in order.

    A pool of ``jobs`` workers is started only where it pays: with more than one CPU to
    run on, and an input of at least :data:`POOL_MIN_ROWS` rows or :data:`POOL_MIN_CHARS`
    characters of text; what was decided, and why, is added to ``notes``.
    """
    chunks = iter(chunks)

    def prepared(chunk: list[Row]) -> Prepared:
        # A formula Excel never calculated is an error only in a text cell.
        errors = [r.error_for(text_idx) for r in chunk]
        texts = [
            row_text(r, text_idx) if e is None else "" for r, e in zip(chunk, errors, strict=True)
        ]
        return chunk, texts, errors

    head: list[Prepared] = []
    rows = chars = 0
    cpus = available_cpus()
    if jobs > cpus and notes is not None:
        notes.append(f"--jobs {jobs}: this machine gives the run {cpus} CPU(s); using {cpus}")
    jobs = min(jobs, cpus)
    if jobs > 1:
        for chunk in chunks:
            head.append(prepared(chunk))
            rows += len(chunk)
            chars += sum(map(len, head[-1][1]))
            if _pool_pays(rows, chars):
                break
        if not _pool_pays(rows, chars) and notes is not None:
            why = (
                "one row cannot be shared among workers"
                if rows == 1
                else f"starting workers costs more than it saves below {POOL_MIN_ROWS:,} rows "
                f"or {POOL_MIN_CHARS:,} characters"
            )
            notes.append(
                f"--jobs: no worker pool for {plural(rows, 'row')} of {chars:,} characters "
                f"({why}); classified in one process"
            )
    # The same tasks in one process as in a pool: each row is predicted in the same batch
    # either way, so the output is the same to the last bit whatever --jobs says.
    tasks = itertools.chain.from_iterable(map(_tasks, itertools.chain(head, map(prepared, chunks))))
    if jobs <= 1 or not _pool_pays(rows, chars):
        for chunk, texts, errors in tasks:
            yield chunk, texts, classify_chunk(predictor, texts, errors, keep)
        return
    yield from _in_pool(tasks, predictor, jobs, model_dir, keep)


def _pool_pays(rows: int, chars: int) -> bool:
    # Rows are never split: one row, however long, is one task for one worker.
    return rows >= POOL_MIN_ROWS or (chars >= POOL_MIN_CHARS and rows > 1)


def _tasks(part: Prepared) -> Iterator[Prepared]:
    """A chunk cut into consecutive runs of rows of at most :data:`POOL_TASK_CHARS`
    characters of text (at least one row each), in order."""
    chunk, texts, errors = part
    start = size = 0
    for i, text in enumerate(texts):
        if size and size + len(text) > POOL_TASK_CHARS:
            yield chunk[start:i], texts[start:i], errors[start:i]
            start, size = i, 0
        size += len(text)
    if start < len(texts) or not texts:
        yield chunk[start:], texts[start:], errors[start:]


def _in_pool(
    source: Iterator[Prepared], predictor: Predictor, jobs: int, model_dir: Path, keep: bool
) -> Iterator[tuple[list[Row], list[str], ChunkResult]]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # A process pool that reports a dead worker (BrokenProcessPool) rather than
    # replacing it and waiting forever; fresh (spawned) processes inherit nothing of Sudachi.
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=mp.get_context("spawn"),
        initializer=_start_worker,
        initargs=(
            str(model_dir),
            predictor.top_k,
            predictor.min_confidence,
            predictor.level,
            predictor.set_threshold,
            predictor.scope_threshold,
            keep,
            os.getpid(),
        ),
    )
    try:
        pending: deque = deque()
        for chunk, texts, errors in source:
            pending.append((chunk, texts, pool.submit(_work, (texts, errors))))
            if len(pending) >= 2 * jobs:
                done_chunk, done_texts, result = pending.popleft()
                yield done_chunk, done_texts, result.result()
        while pending:
            done_chunk, done_texts, result = pending.popleft()
            yield done_chunk, done_texts, result.result()
    except BrokenProcessPool as exc:
        raise WorkerError(
            f"a worker process stopped unexpectedly ({exc}); nothing was written. "
            f"Out of memory? Run again with fewer --jobs"
        ) from None
    finally:
        # Chunks not yet started are dropped; running ones finish (seconds at most).
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep objects that exist now (the model, the policy) out of garbage collection.

    They never become garbage, and without this every full collection re-traverses all of
    them while rows stream through (about 5% of the run time).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.perf_counter()

    def update(self, rows: int, fraction: float | None) -> None:
        if not self.enabled:
            return
        rate = rows / max(time.perf_counter() - self.start, 1e-9)
        if fraction is not None:
            filled = int(30 * min(fraction, 1.0))
            bar = "█" * filled + "·" * (30 - filled)
            sys.stderr.write(f"\r{bar} {fraction:5.1%}  {rows:,} rows  {rate:,.0f}/s ")
        else:
            sys.stderr.write(f"\r{rows:,} rows  {rate:,.0f}/s ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 72 + "\r")
            sys.stderr.flush()
