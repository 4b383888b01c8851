"""The argument parsers of the commands (the CLI layer; see :mod:`classifier.cli`).

Options several commands share are defined once (``_SHARED``); each option's ``dest`` is
the name of the command function's parameter it fills.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .tables.read import FORMATS
from .vocab import ROLLUP_LEVELS, CVGroups, Level

LEVEL_CHOICES = tuple(str(level) for level in ROLLUP_LEVELS)

# Options several commands share, defined once: name -> (flags, argparse keywords).
_SHARED: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "text_columns": (
        ("--text-column",),
        {"nargs": "+", "metavar": "COL", "dest": "text_columns"},
    ),
    "id_column": (("--id-column",), {"metavar": "COL"}),
    "model": (
        ("--model",),
        {
            # Kept as typed: Path("./r3") would lose the ./ that tells a folder from an id.
            "type": str,
            "metavar": "DIR",
        },
    ),
    "encoding": (("--encoding",), {}),
    "sheet": (("--sheet",), {}),
    "min_confidence": (("--min-confidence",), {"type": float, "default": None, "metavar": "X"}),
    "level": (
        ("--level",),
        {"choices": LEVEL_CHOICES, "default": Level.SUBITEM.value},
    ),
}


def _add(p: argparse.ArgumentParser, name: str, help: str) -> None:
    flags, kwargs = _SHARED[name]
    p.add_argument(*flags, help=help, **kwargs)


def _parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    # Usage names the command as it was run: the script (show_results.py) or the
    # installed command (show-results).
    invoked = os.path.basename(sys.argv[0]) if sys.argv else ""
    if invoked == prog.removesuffix(".py").replace("_", "-"):
        prog = invoked
    # Examples in the epilog are kept verbatim in --help.
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_corpus_parser() -> argparse.ArgumentParser:
    p = _parser(
        "build_corpus.py",
        "Parse a policy text into labelled clauses and write the corpus files.",
        "example:\n"
        "  python scripts/build_corpus.py corpus/r3/source.txt --policy-id r3 --out corpus/r3/\n\n"
        "Writes source.txt (a copy of SOURCE, if it is elsewhere), clauses.jsonl,\n"
        "clauses.csv (UTF-8 with BOM, opens in Excel), summary.jsonl, artefacts.jsonl\n"
        "and corpus.json into OUT, and prints the clause tree it found.",
    )
    p.add_argument("source", type=Path, metavar="SOURCE.txt", help="policy text extracted from PDF")
    p.add_argument("--policy-id", required=True, help="short id of this policy version, e.g. r3")
    p.add_argument(
        "--out", type=Path, required=True, help="corpus folder to write, e.g. corpus/r3/"
    )
    p.add_argument(
        "--summary-map",
        type=Path,
        help="reviewed CSV mapping summary-slide bullets to labels "
        "(default: OUT/summary_map.csv if present)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="do not print the tree")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT even if it holds another policy's corpus, a corpus built from "
        "another text, or files of a folder that is not a corpus",
    )
    return p


def train_parser() -> argparse.ArgumentParser:
    p = _parser(
        "train.py",
        "Train the classifier for one policy version and write models/<policy-id>/.",
        "examples:\n"
        "  python scripts/train.py                              # policy r3, bundled labels\n"
        "  python scripts/train.py --labelled review.xlsx       # add an analyst's reviewed sheet\n"
        "  python scripts/train.py --policy r4 --clause-only    "
        "# a new policy before labels exist\n\n"
        "Only rows of the 'dev' split (or without a split column) are learnt from; 'test'\n"
        "rows are scored once for the model card. Labels are checked against the policy;\n"
        "unknown labels are reported by row and those rows are left out.",
    )
    p.add_argument(
        "--policy",
        dest="policy_id",
        default="r3",
        help="policy id (folder under corpus/ and models/); default r3",
    )
    p.add_argument("--corpus", type=Path, help="corpus folder (default corpus/<policy>)")
    p.add_argument(
        "--labelled",
        type=Path,
        nargs="+",
        default=None,
        help="labelled request files (CSV/TSV/XLSX/JSONL), read after the bundled "
        "corpus/labelled/requests.csv and rs2024_dev.csv. A review sheet from `classify "
        "--review` is read through its accepted_label column",
    )
    _add(p, "sheet", "the sheet of each --labelled workbook to read (name or number)")
    p.add_argument(
        "--no-default-labelled",
        action="store_true",
        help="do not add the bundled labelled files (corpus/labelled/requests.csv, "
        "rs2024_dev.csv) to the files given with --labelled",
    )
    p.add_argument(
        "--thesaurus", type=Path, help="domain thesaurus CSV (default corpus/thesaurus.csv)"
    )
    p.add_argument(
        "--labels-policy",
        default="r3",
        help="policy the labelled files are keyed to (default r3); a review sheet is keyed "
        "to the policy its policy column names (one without that column, to this one)",
    )
    p.add_argument(
        "--crosswalk",
        type=Path,
        help="reviewed crosswalk for --labels-policy -> --policy "
        "(default corpus/<policy>/crosswalk_from_<labels-policy>.csv)",
    )
    p.add_argument("--out", type=Path, help="model folder to write (default models/<policy>)")
    p.add_argument("--clause-only", action="store_true", help="learn from the policy text alone")
    p.add_argument(
        "--cv-groups",
        choices=[g.value for g in CVGroups],
        default=CVGroups.PROGRAMME.value,
        help="what the scope model's cross-validation holds out together: a programme "
        "(default) or a whole ministry, for how it does on a ministry it never saw (the "
        "card's dev figures then say that; the model differs only in its calibration)",
    )
    _add(
        p,
        "min_confidence",
        "confidence below which a prediction is flagged low_confidence (default 0.30)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT even if it holds the model of another policy or policy text, or "
        "files of a folder that is not a model folder",
    )
    return p


def classify_parser() -> argparse.ArgumentParser:
    p = _parser(
        "classify",
        "Classify budget requests against the policy items they most likely support.",
        "examples:\n"
        "  classify requests.csv                       # writes requests.classified.csv\n"
        "  classify export.xlsx --text-column 事業名 事業概要 -o result.xlsx\n"
        "  classify requests.csv --review review.xlsx  "
        "# also a sheet to correct, most uncertain first\n"
        "  cat requests.csv | classify - > result.csv\n\n"
        "Output: every input row, in order, with its original columns, then label_1, heading_1,\n"
        "confidence_1, … label_K, heading_K, confidence_K, evidence_1, status (ok,\n"
        "low_confidence, out_of_scope, empty_text or 'error: …'), labels, in_scope,\n"
        "evidence_sentence, matched_clause_text and scope_sentence (review sheets:\n"
        "duplicate_of; --budget: budget_initial_yen, budget_request_yen,\n"
        "budget_counted; --cited: cited_cyber). A CSV file is written as UTF-8 with BOM,\n"
        "which Excel opens directly (standard output gets no BOM, for pipes). An existing\n"
        "output is replaced only if classify wrote it and, for --review, nobody has filled\n"
        "it in (--force replaces anything). Exit 0 when the file was processed, 2 when it\n"
        "could not be read or an output is refused.",
    )
    p.add_argument(
        "input",
        help="CSV, TSV, XLSX or JSONL file, a .zip holding one such file (the RS download), "
        "or - for standard input (CSV)",
    )
    p.add_argument(
        "-o", "--output", help="output file (default: INPUT.classified.<ext> beside the input)"
    )
    _add(
        p,
        "text_columns",
        "column(s) holding the request text; several are joined (default: the obvious one)",
    )
    _add(p, "id_column", "column identifying a request (shown in the review sheet)")
    p.add_argument(
        "--top-k", type=int, default=3, metavar="K", help="labels per request (default 3)"
    )
    _add(
        p,
        "min_confidence",
        "flag predictions below this confidence as low_confidence (default: the model's, 0.30)",
    )
    _add(p, "model", "model folder (default models/r3)")
    _add(p, "encoding", "encoding of a CSV/TSV input (default: detect UTF-8, UTF-8 BOM or CP932)")
    p.add_argument(
        "--output-encoding",
        default="utf-8-sig",
        help="encoding of a CSV/TSV output (default utf-8-sig; cp932 for old tools)",
    )
    _add(p, "sheet", "Excel sheet name or number (default: the one Excel opens at)")
    p.add_argument("--format", choices=FORMATS, help="input format if the name does not tell")
    p.add_argument(
        "--output-format",
        choices=FORMATS,
        help="output format (default: from -o, else the input's)",
    )
    _add(p, "level", "report sub-items (default), or roll scores up to items or areas")
    p.add_argument(
        "--header-row",
        type=int,
        metavar="N",
        help="the header is row N, as Excel numbers rows (default: the first row that looks "
        "like a header; title rows above it are skipped)",
    )
    p.add_argument(
        "--output-errors",
        choices=("strict", "replace"),
        default="strict",
        help="a character the --output-encoding cannot hold: stop and say which (strict, the "
        "default), or write 〓 and count them (replace)",
    )
    p.add_argument(
        "--keep-formulas",
        action="store_true",
        help="write CSV cells that Excel would run as formulas (=, +, -, @ …) as they are; by "
        "default they get a leading ' so Excel shows them as text",
    )
    p.add_argument(
        "--set-threshold",
        type=float,
        default=0.5,
        metavar="P",
        help="a label joins the row's `labels` set when its own probability is at least P "
        "(default 0.5); label_1 is always in the set of an in-scope row",
    )
    p.add_argument(
        "--scope-threshold",
        type=float,
        metavar="P",
        help="a row is out_of_scope when its in_scope probability is below P (default: the "
        "model's, 0.5 for the bundled one); lower it to screen for recall, e.g. 0.2, and "
        "review more rows (evaluate prints precision and recall at several thresholds)",
    )
    p.add_argument(
        "--review",
        metavar="REVIEW.xlsx",
        help="also write an Excel review sheet, most uncertain rows first, with empty "
        "accepted_label and comment columns for the analyst",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="worker processes for large inputs (default 1; small files always use one)",
    )
    p.add_argument(
        "--budget",
        metavar="2-1.zip",
        help="the review-sheet budget file (2-1_RS_…_予算・執行_サマリ, .zip, .csv or .xlsx): adds "
        "budget_initial_yen and budget_request_yen, and a summary sheet to Excel output",
    )
    p.add_argument(
        "--cited",
        metavar="1-3.zip",
        help="the review-sheet file of cited policies, laws and plans (1-3_RS_…_政策・施策、"
        "法令等, .zip or .csv): adds cited_cyber, the cybersecurity ones a programme cites "
        "(evidence for the reviewer; in_scope does not change)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output even if this tool did not write it, or a review "
        "sheet an analyst has filled in (by default only an earlier, unreviewed output of "
        "classify is replaced)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    return p


def evaluate_parser() -> argparse.ArgumentParser:
    p = _parser(
        "evaluate",
        "Measure the classifier on labelled requests: accuracy, ranking, calibration.",
        "examples:\n"
        "  evaluate corpus/labelled/requests.csv --gold-column labels --split test \\\n"
        "           --report test_report.json --misclassified misses.csv\n"
        "  evaluate reviewed.xlsx --gold-column accepted_label --level item\n\n"
        "Gold labels: several separated by ';' (a hit is a prediction among them), NONE for\n"
        "out of scope. The JSON report has top1, top3, area_top1, ece, macro_f1, mrr, n,\n"
        "out-of-scope precision/recall, accuracy per confidence band and a confusion table.",
    )
    p.add_argument("input", help="labelled CSV, TSV, XLSX or JSONL file")
    p.add_argument(
        "--gold-column", required=True, metavar="COL", help="column with the gold labels"
    )
    _add(p, "text_columns", "text column(s) (default: as classify)")
    _add(p, "id_column", "row id column (default: request_id/id if present)")
    _add(p, "model", "model folder (default models/r3)")
    p.add_argument(
        "--report", type=Path, metavar="REPORT.json", help="write the full report as JSON"
    )
    p.add_argument(
        "--misclassified", type=Path, metavar="OUT.csv", help="write the misclassified rows"
    )
    p.add_argument("--split", help="only rows whose 'split' column has this value (e.g. test)")
    _add(p, "level", "evaluate at sub-item (default), item or area level, with roll-up scores")
    _add(p, "encoding", "encoding of a CSV/TSV input (default: detect)")
    _add(p, "sheet", "Excel sheet name or number")
    _add(p, "min_confidence", "low-confidence threshold (default: the model's)")
    p.add_argument(
        "--labels-policy",
        metavar="ID",
        help="policy the gold labels are keyed to (default: a review sheet's policy column; "
        "r3 for the bundled files; else the policy the model's labelled files were keyed "
        "to); another policy's labels are carried over a reviewed crosswalk",
    )
    p.add_argument(
        "--crosswalk",
        type=Path,
        help="reviewed crosswalk from the labels' policy to the model's (default: the one the "
        "model was trained over, else corpus/<model policy>/crosswalk_from_<labels policy>.csv)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --report or --misclassified file even if evaluate did "
        "not write it (by default only an earlier report or list of evaluate's is replaced)",
    )
    return p


def revise_parser() -> argparse.ArgumentParser:
    p = _parser(
        "revise.py",
        "Compare two policy versions, and propose the old → new label crosswalk.",
        "examples:\n"
        "  python scripts/revise.py diff --old r3 --new r4                 # what changed\n"
        "  python scripts/revise.py crosswalk --old r3 --new r4            "
        "# writes corpus/r4/crosswalk_from_r3.csv\n\n"
        "The crosswalk proposes, for every old item, the new item it most likely became\n"
        "(by text similarity), with the runner-up and a proposal: mapped, ambiguous or\n"
        "removed. Review it in Excel: correct new_label where needed (empty or NONE for\n"
        "a removed item) and put 'yes' in the reviewed column. train.py applies only\n"
        "reviewed rows.",
    )
    p.add_argument("action", choices=("diff", "crosswalk"))
    p.add_argument("--old", required=True, help="old policy id (or corpus folder)")
    p.add_argument("--new", required=True, help="new policy id (or corpus folder)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="CSV to write (diff: optional report; crosswalk: default "
        "corpus/<new>/crosswalk_from_<old>.csv)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing crosswalk (it may hold a review!), or a diff -o file "
        "this tool did not write",
    )
    return p


def show_results_parser() -> argparse.ArgumentParser:
    p = _parser(
        "show_results.py",
        "Print a classified file as a compact table, and its budget summary per policy label.",
        "example:\n  python scripts/show_results.py out/requests_example.classified.csv\n\n"
        "Lists every row (only those in scope when there are more than 40), then the summary:\n"
        "the workbook's summary sheet, or for a CSV one computed from its rows.",
    )
    p.add_argument("path", metavar="CLASSIFIED", help="a file written by classify")
    p.add_argument("--policy", default="r3", help="policy id of the labels (default r3)")
    p.add_argument("--summary-only", action="store_true", help="print only the summary")
    return p
