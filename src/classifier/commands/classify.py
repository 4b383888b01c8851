"""The classify command: a request table in, the same table with predictions out.

Rows stream through in chunks (read → tokenise → score → write), so memory stays flat
however long the file is. Every input row is written exactly once, in order, with its
original cells first; a row that cannot be processed gets ``status = error: <reason>``
instead of stopping the run.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from ..options import check_fraction
from ..paths import model_dir as default_model_dir
from ..paths import model_ref, portable_path, project_root
from ..predict import DEFAULT_SET_THRESHOLD, Predictor, card_min_confidence
from ..report import (
    REVIEW_ENTRY_COLUMNS,
    near_miss,
    near_miss_note,
    number_formats,
    output_columns,
    review_columns,
    row_summary_fields,
    write_review_sheet,
)
from ..sources import resolve_columns
from ..sources.export_columns import ExportColumns
from ..store import load_model
from ..summary import SUMMARY_COLUMNS, SUMMARY_SHEET, BudgetSummary
from ..tables import (
    Row,
    TableWriter,
    check_encoding,
    check_outputs,
    default_output_path,
    detect_format,
    one_line,
    open_table,
    shown_columns,
)
from ..tables.existing import check_replaceable
from ..tables.read import CHUNK_ROWS, suffix_format
from ..tables.write import EXCEL_MAX_CHARS
from ..textutil import cell_text, plural
from ..vocab import OUTPUT_MARK_COLUMNS, Level, Status, status_kind
from ..workers import Progress, frozen_heap, predict_texts, predicted_chunks

# A letter of any script the requests are written in: kana, kanji, Latin.
_WORD = re.compile(r"[ぁ-んァ-ヶ一-龥々A-Za-zＡ-Ｚａ-ｚ]")


@dataclass(frozen=True)
class ClassifyOptions:
    """Everything ``classify`` can be told (the CLI's options, typed)."""

    input: str
    output: str | None = None
    text_columns: list[str] | None = None
    id_column: str | None = None
    top_k: int = 3
    min_confidence: float | None = None
    model: str | Path | None = None  # a policy id or a folder (paths.model_ref)
    encoding: str | None = None
    output_encoding: str = "utf-8-sig"
    sheet: str | None = None
    format: str | None = None
    output_format: str | None = None
    level: str = Level.SUBITEM
    review: str | None = None
    jobs: int = 1
    quiet: bool = False
    budget: str | None = None
    cited: str | None = None
    set_threshold: float = DEFAULT_SET_THRESHOLD
    scope_threshold: float | None = None
    header_row: int | None = None
    output_errors: str = "strict"
    keep_formulas: bool = False
    force: bool = False


def _check_options(opts: ClassifyOptions) -> None:
    if opts.top_k < 1:
        raise InputFileError("--top-k must be at least 1")
    if opts.jobs < 1:
        raise InputFileError("--jobs must be at least 1")
    check_encoding(opts.output_encoding)
    check_fraction(opts.min_confidence, "--min-confidence")
    check_fraction(opts.set_threshold, "--set-threshold")
    check_fraction(opts.scope_threshold, "--scope-threshold")
    if opts.header_row is not None and opts.header_row < 1:
        raise InputFileError("--header-row counts rows as Excel does, from 1")
    if opts.output and opts.output != "-":
        # A folder or a macro workbook's name: said before the model loads, and before a
        # folder is told its name has no suffix.
        check_outputs([("-o", opts.output)])
    named = suffix_format(opts.output) if opts.output and opts.output != "-" else None
    if named and opts.output_format and named != opts.output_format:
        # Excel refuses a CSV named .xlsx as damaged; say so before anything is written.
        raise InputFileError(
            f"-o {opts.output} names a {named.upper()} file but --output-format is "
            f"{opts.output_format}; leave --output-format out, or name the file "
            f".{opts.output_format}"
        )
    if opts.review and Path(opts.review).suffix.lower() != ".xlsx":
        raise InputFileError(
            f"--review writes an Excel workbook (with a drop-down of valid labels); "
            f"name it .xlsx, not {Path(opts.review).name}"
        )


def _output_path(
    opts: ClassifyOptions, out_fmt: str, replaced: list[str], columns: list[str], n_classes: int
) -> Path | None:
    """Where the output goes (``None``: standard output); checked against every input and
    every other output of the run, and against replacing an analyst's file (the existing
    outputs it will replace are added to ``replaced``)."""
    if opts.output:
        out_path: Path | None = None if opts.output == "-" else Path(opts.output)
    elif opts.input == "-":
        out_path = None
    else:
        out_path = default_output_path(opts.input, out_fmt)
    check_outputs(
        [("-o", out_path), ("--review", opts.review)], inputs=[opts.input, opts.budget, opts.cited]
    )
    if check_replaceable(
        out_path, "-o", ours=OUTPUT_MARK_COLUMNS, fmt=out_fmt, force=opts.force, columns=columns
    ):
        replaced.append(str(out_path))
    if check_replaceable(
        opts.review,
        "--review",
        ours=OUTPUT_MARK_COLUMNS,
        entries=REVIEW_ENTRY_COLUMNS,
        fmt="xlsx",
        force=opts.force,
        # A column an analyst added or renamed (コメント) would be lost, at any --top-k.
        columns=review_columns(n_classes),
    ):
        replaced.append(str(opts.review))
    return out_path


def classify(opts: ClassifyOptions) -> int:
    """Run the classify command; returns the exit code."""
    _check_options(opts)
    t0 = time.perf_counter()
    model_dir = model_ref(opts.model) if opts.model else default_model_dir()
    model, card = load_model(model_dir, root=project_root())
    min_conf = card_min_confidence(card, opts.min_confidence)
    predictor = Predictor(
        model,
        model.policy_,
        top_k=opts.top_k,
        min_confidence=min_conf,
        level=opts.level,
        set_threshold=opts.set_threshold,
        scope_threshold=opts.scope_threshold,
    )
    top_k = predictor.top_k

    table = open_table(opts.input, opts.format, opts.encoding, opts.sheet, opts.header_row)
    try:
        layout = resolve_columns(table.columns, opts.text_columns, opts.id_column, table.path)
    except InputFileError as exc:
        raise InputFileError(f"{exc}{table.sheet_note()}") from None
    text_columns, id_column = layout.text, layout.id
    extras = ExportColumns(table.columns, layout.is_review_sheet, opts.budget, opts.cited)
    added = output_columns(top_k) + extras.columns
    clash = [c for c in added if c in table.columns]
    if clash:
        raise InputFileError(
            f"{table.path}: the input already has column(s) {shown_columns(clash)} — is it "
            f"a classified file? "
            f"Classify the original export, or rename those columns"
        )
    out_fmt = opts.output_format or (
        detect_format(opts.output) if opts.output and opts.output != "-" else table.format
    )
    replaced: list[str] = []
    # Any column a classify run writes, at any --top-k and with any join, is no addition.
    ours = [*output_columns(len(model.classes_)), *ExportColumns.ALL]
    out_path = _output_path(opts, out_fmt, replaced, [*table.columns, *ours], len(model.classes_))
    text_idx = [table.columns.index(c) for c in text_columns]
    id_idx = table.columns.index(id_column) if id_column else None

    statuses: Counter[str] = Counter()
    review: list[tuple] = []
    summary = BudgetSummary(model.policy_, predictor.columns, budget=bool(opts.budget))
    total = 0
    cited_out = 0  # rows citing a cybersecurity policy that come back out of scope
    near = 0  # out_of_scope rows a screening threshold would take in
    worded = False  # a row's text holds a letter (a numeric column named as text has none)
    progress = Progress(not opts.quiet)
    notes: list[str] = []
    source = predicted_chunks(
        table.chunks(),
        text_idx,
        predictor,
        opts.jobs,
        model_dir,
        keep=bool(opts.review),
        notes=notes,
    )
    with (
        frozen_heap(),
        TableWriter(
            out_path,
            out_fmt,
            table.columns + added,
            encoding=opts.output_encoding,
            errors=opts.output_errors,
            formula_guard=not opts.keep_formulas,
            source=table.path,
            # Only the columns classify adds: the input's own keep their values as read.
            number_formats=number_formats(added),
        ) as writer,
    ):
        for chunk, texts, (chunk_cells, chunk_status, preds) in source:
            for row, cells, status in zip(chunk, chunk_cells, chunk_status, strict=True):
                more = extras.cells(row)
                summary.add(
                    *row_summary_fields(cells, top_k), *extras.amounts(more), extras.repeats(more)
                )
                cited_out += extras.cites(more) and status == Status.OUT_OF_SCOPE.value
                near += near_miss(cells, top_k)
                if not worded:
                    worded = any(_WORD.search(cell_text(row.cells[i])) for i in text_idx)
                cells += more
            lines = [row.cells + cells for row, cells in zip(chunk, chunk_cells, strict=True)]
            records = None
            if out_fmt == "jsonl":
                records = [
                    _jsonl_record(row, table.columns, added, cells)
                    for row, cells in zip(chunk, chunk_cells, strict=True)
                ]
            writer.write_rows(lines, records, [row.line or row.number for row in chunk])
            statuses.update(map(status_kind, chunk_status))
            if preds is not None:
                for row, text, pred in zip(chunk, texts, preds, strict=True):
                    ident = row.cells[id_idx] if id_idx is not None else ""
                    review.append((row.line or row.number, ident, text, pred))
            total += len(chunk)
            progress.update(total, table.fraction_read())
        if out_fmt == "xlsx":
            writer.add_sheet(
                SUMMARY_SHEET,
                list(SUMMARY_COLUMNS),
                summary.rows(),
                number_formats=number_formats(SUMMARY_COLUMNS),
            )
    progress.close()
    cut = writer.cut_cells
    if opts.review:
        if predictor.level != Level.SUBITEM:
            review = _as_targets(review, predictor)
        cut += write_review_sheet(Path(opts.review), review, top_k, model.policy_)
    if not opts.quiet:
        detail = ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())) or "no rows"
        where = "standard output" if out_path is None else str(out_path)
        if opts.review:
            where += f", review sheet -> {opts.review}"
        print(
            f"classified {plural(total, 'row')} in "
            f"{time.perf_counter() - t0:.1f}s ({detail}) with model "
            f"{portable_path(model_dir, Path.cwd())}; "
            f"text from {' + '.join(map(one_line, text_columns))} -> {where}",
            file=sys.stderr,
        )
        said = [
            *layout.notes,
            *notes,
            *_run_notes(
                opts,
                out_fmt,
                extras,
                writer,
                cut,
                cited_out,
                model.in_scope_threshold,
                len(predictor.columns),
            ),
        ]
        said += [near_miss_note(near)] if near else []
        said += [f"replaced the earlier {path}" for path in replaced] + table.notes
        if not worded and statuses and set(statuses) != {Status.EMPTY_TEXT.value}:
            said.append(
                f"no row of {' + '.join(map(one_line, text_columns))} holds a word, only "
                "numbers or symbols: is that the request text? (--text-column names it)"
            )
        for note in said:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _run_notes(
    opts: ClassifyOptions,
    out_fmt: str,
    extras: ExportColumns,
    writer: TableWriter,
    cut: int,
    cited_out: int,
    model_threshold: float,
    n_labels: int,
) -> list[str]:
    """What the analyst should know about the run beyond the row counts."""
    out = []
    if opts.top_k > n_labels:
        out.append(
            f"--top-k {opts.top_k} is more than the {n_labels} labels at {opts.level} level: "
            f"all {n_labels} are listed"
        )
    if opts.scope_threshold is not None:
        out.append(
            f"rows are out_of_scope below in_scope {opts.scope_threshold:g} (--scope-threshold; "
            f"the model's own threshold is {model_threshold:g})"
        )
    if cut:
        were = "cells were" if cut > 1 else "cell was"
        out.append(
            f"{cut} {were} longer than the {EXCEL_MAX_CHARS:,} characters an Excel cell "
            f"holds and cut to fit; write CSV (-o FILE.csv) to keep them whole"
        )
    if writer.replaced.count:
        out.append(
            f"{plural(writer.replaced.count, 'character')} {opts.output_encoding} cannot hold "
            f"were written as {writer.replaced.mark}"
        )
    out += extras.notes(opts.budget, opts.cited)
    if extras.budgets is not None and out_fmt != "xlsx":
        out.append(
            f"the budget summary per policy label is a sheet of Excel output (-o FILE.xlsx); "
            f"for this {out_fmt.upper()} file, show-results (scripts/show_results.py) prints it"
        )
    out += extras.cited_notes(opts.cited, cited_out)
    return out


def _as_targets(review: list[tuple], predictor: Predictor) -> list[tuple]:
    """Review rows predicted again at sub-item level: the review sheet proposes labels
    that training accepts (an item with sub-items is a heading, not a target)."""
    targets = Predictor(
        predictor.model,
        predictor.policy,
        top_k=predictor.top_k,
        min_confidence=predictor.min_confidence,
        set_threshold=predictor.set_threshold,
        scope_threshold=predictor.scope_threshold,
    )
    out = []
    for start in range(0, len(review), CHUNK_ROWS):
        part = review[start : start + CHUNK_ROWS]
        preds = predict_texts(
            targets,
            [text for _, _, text, _ in part],
            [p.status if p.status.startswith(Status.ERROR) else None for *_, p in part],
        )
        out += [(n, i, t, new) for (n, i, t, _), new in zip(part, preds, strict=True)]
    return out


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
