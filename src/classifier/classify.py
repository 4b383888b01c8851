"""The classify command: a request table in, the same table with predictions out.

Rows stream through in chunks (read → tokenise → score → write), so memory stays flat
however long the file is. Every input row is written exactly once, in order, with its
original cells first; a row that cannot be processed gets ``status = error: <reason>``
instead of stopping the run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InputFileError, WorkerError
from .files import (
    ID_COLUMN_CANDIDATES,
    TEXT_COLUMN_CANDIDATES,
    Row,
    TableWriter,
    check_encoding,
    default_output_path,
    detect_format,
    open_table,
    pick_column,
)
from .predict import Prediction, Predictor, card_min_confidence
from .store import load_model
from .textutil import cell_text

TITLE_COLUMNS = ("事業名", "件名", "title")


def output_columns(top_k: int) -> list[str]:
    """The columns classify appends, in order."""
    cols = []
    for k in range(1, top_k + 1):
        cols += [f"label_{k}", f"heading_{k}", f"confidence_{k}"]
    return [*cols, "evidence_1", "status"]


def prediction_cells(pred: Prediction, top_k: int) -> list[Any]:
    """The appended cells of one row (empty where there are fewer than K labels)."""
    cells: list[Any] = []
    for k in range(top_k):
        if k < len(pred.labels):
            cells += [pred.labels[k], pred.headings[k], pred.confidences[k]]
        else:
            cells += ["", "", ""]
    return [*cells, "、".join(pred.evidence), pred.status]


def error_prediction(reason: str) -> Prediction:
    return Prediction((), (), (), (), 0.0, f"error: {reason}")


def row_text(row: Row, indexes: list[int]) -> str:
    """The request text of a row: its text cells joined, blanks and NaN skipped.

    Cleaning (NFKC, control characters) is left to the tokeniser, which does it once.
    """
    parts = [cell_text(row.cells[i]) for i in indexes]
    return "\n".join(p for p in parts if p.strip())


def resolve_text_columns(columns: list[str], wanted: list[str] | None) -> list[str]:
    """The text columns to read: the named ones, or the obvious one (plus 事業名 if present)."""
    chosen = pick_column(columns, wanted, TEXT_COLUMN_CANDIDATES, "request text")
    if wanted is None and chosen[0] in ("事業概要", "概要", "事業内容"):
        # The programme name carries as much signal as the description; use both.
        title = next((c for c in TITLE_COLUMNS if c in columns), None)
        if title:
            chosen = [title, *chosen]
    return chosen


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep objects that exist now (the model, the policy) out of garbage collection.

    They never become garbage, and without this every full collection re-traverses all of
    them while rows stream through (about 5% of the run time).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool, total_bytes: int | None) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total_bytes
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


def run_classify(args: argparse.Namespace, default_model_dir: Path) -> int:
    """Run the classify command; returns the exit code."""
    from .cli import project_root

    if args.top_k < 1:
        raise InputFileError("--top-k must be at least 1")
    if args.jobs < 1:
        raise InputFileError("--jobs must be at least 1")
    check_encoding(args.output_encoding)
    if args.min_confidence is not None and not 0.0 <= args.min_confidence <= 1.0:
        raise InputFileError("--min-confidence must be between 0 and 1")
    t0 = time.perf_counter()
    model_dir = args.model or default_model_dir
    model, card = load_model(model_dir, root=project_root())
    top_k = min(args.top_k, len(model.classes_))
    min_conf = card_min_confidence(card, args.min_confidence)
    predictor = Predictor(
        model, model.policy_, top_k=top_k, min_confidence=min_conf, level=args.level
    )

    table = open_table(args.input, args.format, args.encoding, args.sheet)
    text_columns = resolve_text_columns(table.columns, args.text_column)
    id_column = None
    if args.id_column:
        id_column = pick_column(table.columns, [args.id_column], (), "id")[0]
    else:
        id_column = next((c for c in ID_COLUMN_CANDIDATES if c in table.columns), None)
    added = output_columns(top_k)
    clash = [c for c in added if c in table.columns]
    if clash:
        raise InputFileError(
            f"the input already has column(s) {', '.join(clash)} — is it a classified file? "
            f"Classify the original export, or rename those columns"
        )
    out_fmt = args.output_format or (
        detect_format(args.output) if args.output and args.output != "-" else table.format
    )
    if args.output:
        out_path: Path | None = None if args.output == "-" else Path(args.output)
    elif args.input == "-":
        out_path = None
    else:
        out_path = default_output_path(args.input, out_fmt)
    if (
        out_path is not None
        and args.input != "-"
        and out_path.resolve() == Path(args.input).resolve()
    ):
        raise InputFileError("the output would overwrite the input; choose another -o")
    text_idx = [table.columns.index(c) for c in text_columns]
    id_idx = table.columns.index(id_column) if id_column else None

    statuses: Counter[str] = Counter()
    review: list[tuple] = []
    total = 0
    progress = _Progress(not args.quiet, None)
    source = _predicted_chunks(
        table,
        text_idx,
        predictor,
        args.jobs,
        model_dir,
        top_k,
        min_conf,
        args.level,
        keep=bool(args.review),
    )
    with (
        _frozen_heap(),
        TableWriter(
            out_path, out_fmt, table.columns + added, encoding=args.output_encoding
        ) as writer,
    ):
        for chunk, texts, (chunk_cells, chunk_status, preds) in source:
            if out_fmt == "jsonl":
                for row, cells in zip(chunk, chunk_cells, strict=True):
                    writer.write(row.cells + cells, _jsonl_record(row, table.columns, added, cells))
            else:
                writer.write_rows(
                    [row.cells + cells for row, cells in zip(chunk, chunk_cells, strict=True)]
                )
            statuses.update(st.split(":")[0] for st in chunk_status)
            if preds is not None:
                for row, text, pred in zip(chunk, texts, preds, strict=True):
                    ident = row.cells[id_idx] if id_idx is not None else ""
                    review.append((row.number, ident, text, pred))
            total += len(chunk)
            progress.update(total, table.fraction_read())
    progress.close()
    if args.review:
        write_review_sheet(Path(args.review), review, top_k, model.policy_)
    if not args.quiet:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        where = "standard output" if out_path is None else str(out_path)
        print(
            f"classified {total} rows in {time.perf_counter() - t0:.1f}s ({detail}); "
            f"text from {' + '.join(text_columns)} -> {where}",
            file=sys.stderr,
        )
        for note in table.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _jsonl_record(row: Row, columns: list[str], added: list[str], cells: list[Any]) -> dict:
    """A JSONL output record: the input object as read, then the appended fields."""
    obj = dict(row.extra) if row.extra is not None else dict(zip(columns, row.cells, strict=True))
    taken = [k for k in added if k in obj and row.extra is not None and "_raw" not in row.extra]
    if taken:
        # Same rule as for a CSV header, checked where JSONL reveals it.
        raise InputFileError(
            f"input row {row.number} already has field(s) {', '.join(taken)}; "
            f"rename them or classify the original export (nothing was written)"
        )
    obj.update(zip(added, cells, strict=True))
    return obj


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


_PENDING = Prediction((), (), (), (), 0.0, "error: not processed")
# Below this many rows a worker pool costs more to start than it saves.
POOL_MIN_ROWS = 6000
_worker: Predictor | None = None


ChunkResult = tuple[list[list[Any]], list[str], list[Prediction] | None]


def classify_chunk(
    predictor: Predictor, texts: list[str], errors: list[str | None], keep: bool
) -> ChunkResult:
    """The appended output cells and status of every row (and the predictions if kept).

    Done where the prediction is made, so a worker process hands back ready cells.
    """
    preds = predict_texts(predictor, texts, errors)
    cells = [prediction_cells(p, predictor.top_k) for p in preds]
    return cells, [p.status for p in preds], preds if keep else None


_worker_keep = False
_worker_error: str | None = None


def _start_worker(model_dir: str, top_k: int, min_conf: float, level: str, keep: bool) -> None:
    """Worker process initialiser: load the model once; Sudachi is built on first use.

    Ctrl-C is left to the main process, which stops the workers itself; a worker that
    cannot load the model says so with its first chunk instead of printing a traceback.
    """
    global _worker, _worker_keep, _worker_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        model, _ = load_model(Path(model_dir))
    except Exception as exc:
        _worker_error = f"{type(exc).__name__}: {exc}"
        return
    _worker = Predictor(model, model.policy_, top_k=top_k, min_confidence=min_conf, level=level)
    _worker_keep = keep
    gc.freeze()  # see _frozen_heap: the worker lives as long as the pool


def _work(payload: tuple[list[str], list[str | None]]) -> ChunkResult:
    if _worker is None:
        raise WorkerError(
            f"a worker process could not load the model ({_worker_error}); "
            f"nothing was written. Run again, or with --jobs 1"
        )
    return classify_chunk(_worker, *payload, _worker_keep)


def _predicted_chunks(
    table, text_idx, predictor, jobs, model_dir, top_k, min_conf, level, keep=False
):
    """Yield ``(rows, texts, (cells, statuses, predictions or None))`` per chunk, in order.

    With ``jobs > 1`` and a large input, chunks go to persistent worker processes (each
    with its own model and Sudachi tokenizer) with at most two chunks per worker in
    flight, so memory stays bounded however long the file is.
    """
    chunks = table.chunks()

    def prepared(chunk):
        texts = [row_text(r, text_idx) if r.error is None else "" for r in chunk]
        return chunk, texts, [r.error for r in chunk]

    head = []
    rows = 0
    if jobs > 1:
        for chunk in chunks:
            head.append(prepared(chunk))
            rows += len(chunk)
            if rows >= POOL_MIN_ROWS:
                break
    if jobs <= 1 or rows < POOL_MIN_ROWS:
        for chunk, texts, errors in head:
            yield chunk, texts, classify_chunk(predictor, texts, errors, keep)
        for chunk in chunks:
            chunk, texts, errors = prepared(chunk)
            yield chunk, texts, classify_chunk(predictor, texts, errors, keep)
        return
    import itertools
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # A process pool that reports a dead worker (BrokenProcessPool) rather than
    # replacing it and waiting forever; fresh (spawned) processes inherit nothing of Sudachi.
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=mp.get_context("spawn"),
        initializer=_start_worker,
        initargs=(str(model_dir), top_k, min_conf, level, keep),
    )
    try:
        pending: deque = deque()
        source = itertools.chain(iter(head), (prepared(c) for c in chunks))
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


def write_review_sheet(path: Path, rows: list[tuple], top_k: int, policy) -> None:
    """An Excel sheet for analysts: most uncertain rows first, empty accepted_label/comment."""
    from .predict import display_heading

    def key(item):
        number, _, _, pred = item
        reviewable = not pred.status.startswith(("error", "empty_text"))
        return (not reviewable, pred.confidences[0] if pred.confidences else 0.0, number)

    columns = ["row", "id", "text"]
    for k in range(1, top_k + 1):
        columns += [f"label_{k}", f"heading_{k}", f"confidence_{k}"]
    columns += ["evidence_1", "status", "accepted_label", "comment"]
    with TableWriter(path, "xlsx", columns) as writer:
        for number, ident, text, pred in sorted(rows, key=key):
            writer.write(
                [
                    number,
                    ident,
                    text,
                    *prediction_cells(pred, top_k)[:-2],
                    "、".join(pred.evidence),
                    pred.status,
                    "",
                    "",
                ]
            )
        labels = [[c.label, display_heading(policy, c.label)] for c in policy.targets]
        writer.add_sheet(
            "labels", ["label", "heading"], [*labels, ["NONE", "対象外 (supports no item)"]]
        )
