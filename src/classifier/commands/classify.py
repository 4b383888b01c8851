"""The classify command: a request table in, the same table with predictions out.

Rows stream through in chunks (read → tokenise → score → write), so memory stays flat
however long the file is. Every input row is written exactly once, in order, with its
original cells first; a row that cannot be processed gets ``status = error: <reason>``
instead of stopping the run.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from ..paths import model_dir as default_model_dir
from ..paths import project_root
from ..predict import Predictor, card_min_confidence
from ..report import output_columns, write_review_sheet
from ..store import load_model
from ..tables import (
    Row,
    TableWriter,
    check_encoding,
    default_output_path,
    detect_format,
    open_table,
    pick_id_column,
    resolve_text_columns,
)
from ..vocab import Level, status_kind
from ..workers import predicted_chunks


@dataclass(frozen=True)
class ClassifyOptions:
    """Everything ``classify`` can be told (the CLI's options, typed)."""

    input: str
    output: str | None = None
    text_columns: list[str] | None = None
    id_column: str | None = None
    top_k: int = 3
    min_confidence: float | None = None
    model: Path | None = None
    encoding: str | None = None
    output_encoding: str = "utf-8-sig"
    sheet: str | None = None
    format: str | None = None
    output_format: str | None = None
    level: str = Level.SUBITEM
    review: str | None = None
    jobs: int = 1
    quiet: bool = False


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


def _check_options(opts: ClassifyOptions) -> None:
    if opts.top_k < 1:
        raise InputFileError("--top-k must be at least 1")
    if opts.jobs < 1:
        raise InputFileError("--jobs must be at least 1")
    check_encoding(opts.output_encoding)
    if opts.min_confidence is not None and not 0.0 <= opts.min_confidence <= 1.0:
        raise InputFileError("--min-confidence must be between 0 and 1")


def _output_path(opts: ClassifyOptions, out_fmt: str) -> Path | None:
    """Where the output goes (``None``: standard output); never over the input."""
    if opts.output:
        out_path: Path | None = None if opts.output == "-" else Path(opts.output)
    elif opts.input == "-":
        out_path = None
    else:
        out_path = default_output_path(opts.input, out_fmt)
    if (
        out_path is not None
        and opts.input != "-"
        and out_path.resolve() == Path(opts.input).resolve()
    ):
        raise InputFileError("the output would overwrite the input; choose another -o")
    return out_path


def classify(opts: ClassifyOptions) -> int:
    """Run the classify command; returns the exit code."""
    _check_options(opts)
    t0 = time.perf_counter()
    model_dir = opts.model or default_model_dir()
    model, card = load_model(model_dir, root=project_root())
    top_k = min(opts.top_k, len(model.classes_))
    min_conf = card_min_confidence(card, opts.min_confidence)
    predictor = Predictor(
        model, model.policy_, top_k=top_k, min_confidence=min_conf, level=opts.level
    )

    table = open_table(opts.input, opts.format, opts.encoding, opts.sheet)
    text_columns = resolve_text_columns(table.columns, opts.text_columns)
    id_column = pick_id_column(table.columns, opts.id_column)
    added = output_columns(top_k)
    clash = [c for c in added if c in table.columns]
    if clash:
        raise InputFileError(
            f"the input already has column(s) {', '.join(clash)} — is it a classified file? "
            f"Classify the original export, or rename those columns"
        )
    out_fmt = opts.output_format or (
        detect_format(opts.output) if opts.output and opts.output != "-" else table.format
    )
    out_path = _output_path(opts, out_fmt)
    text_idx = [table.columns.index(c) for c in text_columns]
    id_idx = table.columns.index(id_column) if id_column else None

    statuses: Counter[str] = Counter()
    review: list[tuple] = []
    total = 0
    progress = _Progress(not opts.quiet)
    source = predicted_chunks(
        table.chunks(), text_idx, predictor, opts.jobs, model_dir, keep=bool(opts.review)
    )
    with (
        _frozen_heap(),
        TableWriter(
            out_path, out_fmt, table.columns + added, encoding=opts.output_encoding
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
            statuses.update(map(status_kind, chunk_status))
            if preds is not None:
                for row, text, pred in zip(chunk, texts, preds, strict=True):
                    ident = row.cells[id_idx] if id_idx is not None else ""
                    review.append((row.number, ident, text, pred))
            total += len(chunk)
            progress.update(total, table.fraction_read())
    progress.close()
    if opts.review:
        write_review_sheet(Path(opts.review), review, top_k, model.policy_)
    if not opts.quiet:
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
