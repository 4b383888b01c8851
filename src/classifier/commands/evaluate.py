"""The evaluate command: the model on labelled requests, as figures and files."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from ..dataset import policy_column, sheet_policy
from ..errors import InputFileError, LabelError, OutputFileError
from ..examples import gold_keying
from ..hierarchy import level_of, rollup_matrix
from ..labels import check_labels, parse_labels, pasted_heading_problems
from ..metrics import Scored, compute_metrics, json_safe, scope_metrics
from ..options import check_fraction
from ..paths import model_dir as default_model_dir
from ..paths import model_ref, project_root
from ..predict import Predictor, card_min_confidence
from ..reconcile import labelled_two_ways, text_key
from ..report import (
    MISCLASSIFIED_COLUMNS,
    figures_text,
    misclassified_format,
    write_misclassified,
)
from ..revision import Carried, carry_one
from ..sources import resolve_columns
from ..store import load_model
from ..tables import (
    atomic_write_bytes,
    check_outputs,
    find_column,
    open_table,
    pick_column,
    sha256_file,
)
from ..tables.existing import check_replaceable, check_report_keys
from ..textutil import cell_text, has_text, plural
from ..vocab import (
    OUTPUT_MARK_COLUMNS,
    REVIEW_LABEL_COLUMN,
    ROLLUP_LEVELS,
    Level,
    Scope,
)
from ..workers import row_text


def evaluate(
    input: str,
    gold_column: str,
    text_columns: list[str] | None = None,
    id_column: str | None = None,
    model: str | Path | None = None,
    report: Path | None = None,
    misclassified: Path | None = None,
    split: str | None = None,
    level: str = Level.SUBITEM,
    encoding: str | None = None,
    sheet: str | None = None,
    min_confidence: float | None = None,
    force: bool = False,
    labels_policy: str | None = None,
    crosswalk: Path | None = None,
) -> int:
    """Predict every labelled row of ``input`` and report how the predictions compare."""
    check_fraction(min_confidence, "--min-confidence")
    model_path = model_ref(model) if model else default_model_dir()
    check_outputs([("--report", report), ("--misclassified", misclassified)], inputs=[input])
    # Only evaluate's own earlier outputs are replaced without --force.
    replaced = [
        f"{option} {path}"
        for option, path, replaceable in (
            ("--report", report, _check_report(report, force)),
            (
                "--misclassified",
                misclassified,
                check_replaceable(
                    misclassified,
                    "--misclassified",
                    ours=MISCLASSIFIED_COLUMNS,
                    fmt=misclassified_format(misclassified) if misclassified else "csv",
                    force=force,
                    # A column an analyst added (担当メモ) would be lost.
                    columns=MISCLASSIFIED_COLUMNS,
                ),
            ),
        )
        if replaceable
    ]
    clf, card = load_model(model_path, root=project_root())
    policy = clf.policy_
    table = open_table(input, None, encoding, sheet)
    try:
        gold_col = pick_column(table.columns, [gold_column], (), "gold labels")[0]
    except InputFileError as exc:
        raise InputFileError(f"{table.path}: {exc}") from None
    _check_gold_is_no_prediction(table.path, table.columns, gold_col)
    layout = resolve_columns(table.columns, text_columns, id_column, table.path)
    text_idx = [table.columns.index(c) for c in layout.text]
    id_at = table.columns.index(layout.id) if layout.id else None
    # Annotated review sheets say IN/OUT/BORDER and how many programmes a row stands for.
    scope_idx = table.columns.index("scope") if "scope" in table.columns else None
    weight_idx = table.columns.index("weight") if "weight" in table.columns else None
    split_idx = None
    if split:
        if "split" not in table.columns:
            raise InputFileError(f"{table.path}: --split needs a 'split' column in the input")
        split_idx = table.columns.index("split")
    rows: list[_Row] = []
    problems: list[tuple[int, str]] = []  # (row, message): said in row order
    splits: set[str] = set()  # the values of the split column, to name on a typo
    every_split = table.columns.index("split") if "split" in table.columns else None
    # A review sheet names the policy its labels belong to: another policy's (2)③ⅰ is
    # another item, so such labels are carried over a crosswalk or refused (gold_keying).
    policy_col = policy_column(table.path, table.columns)
    policy_idx = table.columns.index(policy_col) if policy_col is not None else None
    sheet_policies: list[str] = []
    unlabelled = 0  # rows with an empty gold cell: not scored, and counted in a note
    for row in table.rows:
        if policy_idx is not None:
            sheet_policies.append(cell_text(row.cells[policy_idx]))
        if split_idx is not None:
            value = cell_text(row.cells[split_idx]).strip()
            splits.add(value)
            if value != split:
                continue
        # The id too, as train says it: on a sorted review sheet it is what can be found.
        ident = cell_text(row.cells[id_at]).strip() if id_at is not None else ""
        where = f"{table.path} row {row.line}" + (f" (id {ident})" if ident else "")
        try:
            gold = parse_labels(row.cells[table.columns.index(gold_col)])
        except LabelError as exc:
            problems.append((row.line or row.number, f"{where}: {exc}"))
            continue
        if gold is None:
            unlabelled += 1
            continue
        rows.append(
            _Row(
                row.line or row.number,
                where,
                cell_text(row.cells[table.columns.index(gold_col)]),
                str(row.cells[id_at]) if id_at is not None else f"row{row.line or row.number}",
                gold,
                row_text(row, text_idx),
                cell_text(row.cells[scope_idx]).strip().upper() if scope_idx is not None else "",
                _weight(row.cells[weight_idx]) if weight_idx is not None else 1.0,
                cell_text(row.cells[every_split]).strip() if every_split is not None else "",
            )
        )
    if split_idx is not None and split not in splits:
        named = ", ".join(repr(v) for v in sorted(splits) if v) or "none (the column is empty)"
        raise InputFileError(
            f"{table.path}: no row has split {split!r}; the splits in its 'split' column are: "
            f"{named}"
        )
    keying = gold_keying(
        table.path,
        sheet_policy(table.path, sheet_policies),
        policy,
        card,
        project_root(),
        labels_policy,
        crosswalk,
        str(model_path),
    )
    # Labels of the level reported and of every level below it roll up to that level.
    reported = {
        label
        for step in ROLLUP_LEVELS[: ROLLUP_LEVELS.index(Level(level)) + 1]
        for label in rollup_matrix(policy, list(clf.classes_), step)[0]
    }
    kept: list[_Row] = []
    carried = Counter[str]()
    for r in rows:
        gold = r.gold
        if keying.crosswalk is None:
            # At item or area level an item (or area) label is a gold label as good as the
            # targets under it: it is what the level reports.
            bad = check_labels([g for g in gold if g not in reported], policy)
        else:
            bad = check_labels(gold, keying.policy)
        bad = bad or pasted_heading_problems(r.cell, keying.policy)
        if keying.crosswalk is not None and not bad:
            kind, gold, unknown = carry_one(gold, keying.crosswalk)
            carried[kind] += 1
            if kind == Carried.DROPPED:
                continue  # its items were removed: counted in the note
            if kind in (Carried.UNMAPPED, Carried.MISSING):
                bad = [
                    f"no reviewed crosswalk row for {', '.join(unknown or r.gold)}"
                    f" ({keying.policy.policy_id} -> {policy.policy_id})"
                ]
        if bad:
            problems.extend((r.line, f"{r.where}: {b}") for b in bad)
            continue
        if not has_text(r.text):
            problems.append((r.line, f"{r.where}: a label but no text"))
            continue
        kept.append(replace(r, gold=gold))
    # (the table's notes are known once every row is read: cells merged over rows …)
    for n in (*layout.notes, *table.notes):
        print(f"note: {n}", file=sys.stderr)
    if keying.note:
        print(keying.note + _carried_text(carried), file=sys.stderr)
    texts = [r.text for r in kept]
    golds = [r.gold for r in kept]
    row_splits = [r.split for r in kept]
    for _, p in sorted(problems, key=lambda lp: lp[0]):
        print(f"warning: {p} (row left out)", file=sys.stderr)
    clash = labelled_two_ways(table.path, [(r.line, r.gold, r.text) for r in kept])
    if clash:
        print(f"warning: {clash}", file=sys.stderr)
    if unlabelled:
        print(
            f"note: {plural(unlabelled, 'row')} with an empty {gold_col} cell "
            f"{'is' if unlabelled == 1 else 'are'} not scored",
            file=sys.stderr,
        )
    if not texts:
        raise InputFileError(f"{table.path}: no labelled rows to evaluate")
    min_conf = card_min_confidence(card, min_confidence)
    predictor = Predictor(
        clf, policy, top_k=len(clf.classes_), min_confidence=min_conf, level=level
    )
    preds = predictor.predict(texts)
    if level != Level.SUBITEM:
        golds = [tuple(dict.fromkeys(level_of(policy, g, level) for g in gold)) for gold in golds]
    scored = [
        Scored(r.id, g, p, r.scope, r.weight, r.text)
        for r, g, p in zip(kept, golds, preds, strict=True)
    ]
    # Item figures over programmes annotators called in scope (BORDER left out).
    figures = compute_metrics([s for s in scored if s.scope != Scope.BORDER], predictor.columns)
    if scope_idx is not None:
        figures["scope"] = scope_metrics(scored)
    figures["level"] = level
    # What the gold labels are, so the row count can be explained from the report alone.
    figures["gold"] = {
        "labels_policy": keying.policy.policy_id,
        "crosswalk": keying.crosswalk_file or None,
        "carried": {str(kind): n for kind, n in sorted(carried.items())},
        "left_out": len(problems),
        "unlabelled": unlabelled,
    }
    figures["model"] = {
        "dir": str(model_path),
        "policy_id": card.get("policy_id"),
        "model_sha256": card.get("model_sha256"),
    }
    if report:
        check_report_keys(report, figures, force)
        text = json.dumps(json_safe(figures), ensure_ascii=False, indent=2, allow_nan=False)
        atomic_write_bytes(report, (text + "\n").encode())
    if misclassified:
        write_misclassified(misclassified, scored, texts)
    for output in replaced:
        print(f"note: replaced the earlier {output}", file=sys.stderr)
    files = _card_files(card)
    if _is_card_file(input, files):
        _warn_if_learnt(input, row_splits)  # one of its own files: counted by split
    else:
        _warn_if_taught(files, texts)
    print(figures_text(figures))
    return 0


@dataclass(frozen=True)
class _Row:
    """One labelled row read, before its labels are checked against their policy."""

    line: int  # its row in the file, as warnings name it
    where: str  # "FILE row N (id X)", for a warning
    cell: str  # the gold cell as written (a heading pasted after a label is checked)
    id: str
    gold: tuple[str, ...]
    text: str
    scope: str
    weight: float
    split: str  # its split cell ("" without a split column)


def _carried_text(counts: Counter[str]) -> str:
    """': 700 unchanged, 60 remapped, …' for the carry-over note (kinds that occurred)."""
    said = {
        Carried.CARRIED: "unchanged",
        Carried.REMAPPED: "remapped",
        Carried.REDUCED: "kept with fewer labels",
        Carried.DROPPED: "not scored (their items were removed)",
        Carried.UNMAPPED: "left out (crosswalk rows not yet reviewed)",
        Carried.MISSING: "left out (no crosswalk row)",
    }
    parts = [f"{counts[kind]} {text}" for kind, text in said.items() if counts[kind]]
    return ": " + ", ".join(parts) if parts else ""


def _weight(value: object) -> float:
    try:
        return float(cell_text(value) or 1.0)
    except ValueError:
        return 1.0


def _check_report(path: Path | None, force: bool) -> bool:
    """True if ``path`` exists and will be replaced; refuse a file that is not an earlier
    report of evaluate's (a JSON object naming the model it measured) unless ``force``."""
    if path is None or str(path) == "-" or not Path(path).is_file():
        return False
    if force:
        return True
    try:
        earlier = json.loads(Path(path).read_text(encoding="utf-8"))
        ours = isinstance(earlier, dict) and "model_sha256" in earlier.get("model", {})
    except (OSError, ValueError, AttributeError, TypeError):
        ours = False
    if not ours:
        raise OutputFileError(
            f"--report {path} already exists and is not an earlier report of evaluate's; "
            "choose another file name, or pass --force to replace it"
        )
    return True


def _card_files(card: dict) -> dict[str, str]:
    """The model's labelled files (as the card names them) and their sha256."""
    files = card.get("labelled", {}).get("files", {})
    return files if isinstance(files, dict) else {}


def _is_card_file(input: str, files: dict[str, str]) -> bool:
    """Whether ``input`` is one of the model's own labelled files (by content)."""
    return Path(input).is_file() and sha256_file(Path(input)) in files.values()


def _warn_if_learnt(input: str, row_splits: list[str]) -> None:
    """Say so when the rows measured include ones the model learnt from (the dev rows of
    one of its own labelled files): their figures are not held-out ones."""
    learnt = sum(value != "test" for value in row_splits)
    if learnt:
        print(
            f"warning: the model learnt from {learnt} of the {plural(len(row_splits), 'row')} "
            f"measured ({input} is one of its labelled files; only its 'test' rows are held "
            "out): these figures are not held-out ones; pass --split test, or see the model "
            "card's dev_cross_validated figures",
            file=sys.stderr,
        )


def _warn_if_taught(files: dict[str, str], texts: list[str]) -> None:
    """Say so when rows of another file (a review sheet of the bundled requests) have the
    texts of the model's own dev rows: the model learnt them, whatever the file is named."""
    root = project_root()
    learnt: set[str] = set()
    for name, digest in files.items():
        path = root / name
        if not path.is_file() or sha256_file(path) != digest:
            continue
        table = open_table(str(path))
        try:
            at = [table.columns.index(c) for c in resolve_columns(table.columns).text]
            split = table.columns.index("split") if "split" in table.columns else None
            learnt.update(
                text_key(row_text(row, at))
                for row in table.rows
                if split is None or cell_text(row.cells[split]).strip() != "test"
            )
        finally:
            table.close()
    taught = sum(text_key(t) in learnt for t in texts)
    if taught:
        print(
            f"warning: {plural(taught, 'row')} of the {len(texts)} measured "
            f"{'has' if taught == 1 else 'have'} the text of a row the model learnt from "
            "(the dev split of its own labelled files): these figures are not held-out ones",
            file=sys.stderr,
        )


def _check_gold_is_no_prediction(path: str, columns: list[str], gold: str) -> None:
    """Refuse to score a classify output against its own predictions: its labels and
    label_k columns are the model's, so every figure would say it agrees with itself."""
    ours = all(c in columns for c in OUTPUT_MARK_COLUMNS)
    predicted = gold == "labels" or (gold.startswith("label_") and gold[6:].isdigit())
    if ours and predicted:
        review = find_column(columns, REVIEW_LABEL_COLUMN) is not None
        raise InputFileError(
            f"{path} is {'a review sheet' if review else 'an output'} of classify and "
            f"--gold-column {gold} holds the model's own predictions: scored against them it "
            "would agree with itself. "
            + (
                f"Evaluate the analysts' labels: --gold-column {REVIEW_LABEL_COLUMN}"
                if review
                else "Name the column with the analysts' labels, or review the rows "
                "(classify --review) and evaluate the review sheet's accepted_label"
            )
        )
