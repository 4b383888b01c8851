"""Command-line entry points. Each is a function of ``argv`` so tests call it in-process.

``scripts/*.py`` and the console scripts in ``pyproject.toml`` only wrap these functions.
Exit codes: 0 done (flagged rows included), 2 usage or unreadable input, 1 unexpected bug.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import ClassifierError

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with examples kept verbatim in ``--help``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kwargs)


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _run(
    func: Callable[[argparse.Namespace], int],
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
) -> int:
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    try:
        return func(args)
    except ClassifierError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted; no output file was written")
        return 130
    except OSError as exc:
        _err(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return EXIT_USAGE
    except Exception as exc:
        if os.environ.get("CLASSIFIER_DEBUG"):
            raise
        _err(
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in the tool, not in your "
            f"file; please report it (set CLASSIFIER_DEBUG=1 to see the details)"
        )
        return EXIT_BUG


# --------------------------------------------------------------------------- build-corpus


def _build_corpus_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="build_corpus.py",
        description="Parse a policy text into labelled clauses and write the corpus files.",
        epilog=(
            "example:\n"
            "  python scripts/build_corpus.py corpus/r3/source.txt --policy-id r3 --out corpus/r3/\n\n"
            "Writes source.txt (a copy of SOURCE, if it is elsewhere), clauses.jsonl,\n"
            "clauses.csv (UTF-8 with BOM, opens in Excel), summary.jsonl, artefacts.jsonl\n"
            "and corpus.json into OUT, and prints the clause tree it found."
        ),
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
    return p


def _build_corpus(args: argparse.Namespace) -> int:
    from .corpus import SUMMARY_MAP_NAME, load_policy, write_corpus
    from .errors import InputFileError

    if not args.source.is_file():
        raise InputFileError(f"{args.source}: no such file")
    summary_map = args.summary_map
    if summary_map is None and (args.out / SUMMARY_MAP_NAME).is_file():
        summary_map = args.out / SUMMARY_MAP_NAME
    policy, warnings = load_policy(args.source, args.policy_id, summary_map)
    write_corpus(policy, args.source, args.out)
    if not args.quiet:
        print(f"{policy.policy_id}: {policy.title}")
        for c in policy.clauses:
            indent = "  " * (c.depth + 1)
            mark = "  *" if c.is_target else ""
            print(f"{indent}{c.label}  {c.heading or ''}{mark}".rstrip())
    kinds: dict[str, int] = {}
    for a in policy.artefacts:
        kinds[a.kind] = kinds.get(a.kind, 0) + 1
    detail = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    print(
        f"{len(policy.clauses)} clauses ({len(policy.targets)} classification targets, marked *), "
        f"{len(policy.summary)} summary entries, "
        f"{len(policy.artefacts)} artefacts removed ({detail or 'none'}) -> {args.out}"
    )
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return EXIT_OK


def build_corpus_main(argv: Sequence[str] | None = None) -> int:
    """``build_corpus.py SOURCE.txt --policy-id ID --out DIR``."""
    return _run(_build_corpus, _build_corpus_parser(), argv)


# --------------------------------------------------------------------------- shared


def project_root() -> Path:
    """The folder holding ``corpus/`` and ``models/``: the working directory or the checkout."""
    cwd = Path.cwd()
    if (cwd / "corpus").is_dir():
        return cwd
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "corpus").is_dir() else cwd


def default_model_dir(policy_id: str = "r3") -> Path:
    return project_root() / "models" / policy_id


# --------------------------------------------------------------------------- train


def _train_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="train.py",
        description="Train the classifier for one policy version and write models/<policy-id>/.",
        epilog=(
            "examples:\n"
            "  python scripts/train.py                              # policy r3, bundled labels\n"
            "  python scripts/train.py --labelled review.xlsx       # add an analyst's reviewed sheet\n"
            "  python scripts/train.py --policy r4 --clause-only    # a new policy before labels exist\n\n"
            "Only rows of the 'dev' split (or without a split column) are learnt from; 'test'\n"
            "rows are scored once for the model card. Labels are checked against the policy;\n"
            "unknown labels are reported by row and those rows are left out."
        ),
    )
    p.add_argument(
        "--policy", default="r3", help="policy id (folder under corpus/ and models/); default r3"
    )
    p.add_argument("--corpus", type=Path, help="corpus folder (default corpus/<policy>)")
    p.add_argument(
        "--labelled",
        type=Path,
        nargs="*",
        default=None,
        help="labelled request files (CSV/TSV/XLSX/JSONL); default corpus/labelled/requests.csv. "
        "A review sheet from `classify --review` is read through its accepted_label column",
    )
    p.add_argument(
        "--no-default-labelled",
        action="store_true",
        help="do not add corpus/labelled/requests.csv to the files given with --labelled",
    )
    p.add_argument(
        "--thesaurus", type=Path, help="domain thesaurus CSV (default corpus/thesaurus.csv)"
    )
    p.add_argument(
        "--labels-policy",
        default="r3",
        help="policy the labelled files are keyed to (default r3); review sheets are "
        "always keyed to --policy",
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
        "--min-confidence",
        type=float,
        default=None,
        help="confidence below which a prediction is flagged low_confidence (default 0.30)",
    )
    return p


def _labelled_for_policy(args: argparse.Namespace, root: Path, policy, files: list[Path]) -> list:
    """Labelled requests usable for ``policy``: direct, or carried over a reviewed crosswalk.

    Review sheets (with an accepted_label column) are keyed to the policy being trained;
    other labelled files to ``--labels-policy``.
    """
    from .corpus import read_clauses
    from .labels import is_review_sheet, read_labelled_files
    from .revision import carry_labels, read_crosswalk

    direct = [f for f in files if args.policy == args.labels_policy or is_review_sheet(f)]
    old_keyed = [f for f in files if f not in direct]
    requests, problems, left_out = read_labelled_files(direct, policy)
    for problem in problems[:20]:
        print(f"warning: {problem}", file=sys.stderr)
    if len(problems) > 20:
        print(f"warning: … and {len(problems) - 20} more label problems", file=sys.stderr)
    if left_out:
        print(
            f"warning: {left_out} labelled rows were left out because of the problems above",
            file=sys.stderr,
        )
    if not old_keyed:
        return requests
    old_policy = read_clauses(root / "corpus" / args.labels_policy)
    old_requests, old_problems, _ = read_labelled_files(old_keyed, old_policy)
    n_old = len(old_requests) + len(old_problems)
    crosswalk_path = args.crosswalk or (
        root / "corpus" / args.policy / f"crosswalk_from_{args.labels_policy}.csv"
    )
    if not Path(crosswalk_path).is_file():
        print(
            f"warning: {n_old} labelled rows keyed to policy {args.labels_policy} were left out: "
            f"there is no reviewed crosswalk {crosswalk_path}. Propose one with "
            f"`python scripts/revise.py crosswalk --old {args.labels_policy} --new {args.policy}`, "
            f"review it, and train again",
            file=sys.stderr,
        )
        return requests
    report = carry_labels(old_requests, read_crosswalk(Path(crosswalk_path), policy))
    print(
        f"carried over from {args.labels_policy}: {report.carried} unchanged, {report.remapped} "
        f"remapped, {report.dropped} dropped (their items were removed), {report.unmapped} left "
        f"out (crosswalk rows not yet reviewed), {len(old_problems)} with invalid labels",
        file=sys.stderr,
    )
    return requests + list(report.requests)


def _train(args: argparse.Namespace) -> int:
    from .corpus import read_clauses
    from .pipeline import DEFAULT_THESAURUS, train
    from .predict import DEFAULT_MIN_CONFIDENCE
    from .store import save_model

    root = project_root()
    corpus_dir = args.corpus or root / "corpus" / args.policy
    policy = read_clauses(corpus_dir)
    default_labelled = root / "corpus" / "labelled" / "requests.csv"
    files = list(args.labelled or [])
    if (
        not args.no_default_labelled
        and default_labelled.is_file()
        and default_labelled not in files
    ):
        files.insert(0, default_labelled)
    requests: list = []
    if not args.clause_only:
        requests = _labelled_for_policy(args, root, policy, files)
    min_conf = DEFAULT_MIN_CONFIDENCE if args.min_confidence is None else args.min_confidence
    n_in = sum(1 for r in requests if r.labels and r.split != "test")
    clause_only = args.clause_only or n_in == 0
    if clause_only and not args.clause_only:
        print("warning: no usable labelled requests; training a clause-only model", file=sys.stderr)
    thesaurus = args.thesaurus or (root / DEFAULT_THESAURUS)
    result = train(
        args.policy, corpus_dir, requests, files, thesaurus, min_conf, clause_only=clause_only
    )
    out = args.out or root / "models" / args.policy
    save_model(result.model, out, result.card)
    print(
        f"trained {args.policy}: {len(result.model.classes_)} targets, "
        f"{result.model.n_examples_} labelled requests learnt from -> {out}"
    )
    for name, m in result.card["metrics"].items():
        for label, mm in [(name, m)] if "top1" in m else [(f"{name} {k}", v) for k, v in m.items()]:
            oos = mm["out_of_scope"]
            print(
                f"  {label:<20} top1 {_num(mm['top1'])}  top3 {_num(mm['top3'])}  "
                f"area {_num(mm['area_top1'])}  ECE {_num(mm['ece'])}  "
                f"out-of-scope recall {_num(oos['recall'])}  "
                f"in-scope flagged {_num(oos['in_scope_flagged_any'])}  (n={mm['n']})"
            )
    return EXIT_OK


def _num(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def train_main(argv: Sequence[str] | None = None) -> int:
    """``train.py [--policy ID] [--labelled FILE ...]``."""
    return _run(_train, _train_parser(), argv)


# --------------------------------------------------------------------------- classify


def _classify_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="classify",
        description="Classify budget requests against the policy items they most likely support.",
        epilog=(
            "examples:\n"
            "  classify requests.csv                       # writes requests.classified.csv\n"
            "  classify export.xlsx --text-column 事業名 事業概要 -o result.xlsx\n"
            "  classify requests.csv --review review.xlsx  # also a sheet to correct, most uncertain first\n"
            "  cat requests.csv | classify - > result.csv\n\n"
            "Output: every input row, in order, with its original columns, then label_1, heading_1,\n"
            "confidence_1, … label_K, heading_K, confidence_K, evidence_1 and status (ok,\n"
            "low_confidence, out_of_scope, empty_text or 'error: …'). CSV is written as UTF-8\n"
            "with BOM, which Excel opens directly. Exit 0 when the file was processed, 2 when it\n"
            "could not be read."
        ),
    )
    p.add_argument("input", help="CSV, TSV, XLSX or JSONL file, or - for standard input (CSV)")
    p.add_argument(
        "-o", "--output", help="output file (default: INPUT.classified.<ext> beside the input)"
    )
    p.add_argument(
        "--text-column",
        nargs="+",
        metavar="COL",
        help="column(s) holding the request text; several are joined (default: the obvious one)",
    )
    p.add_argument(
        "--id-column",
        metavar="COL",
        help="column identifying a request (shown in the review sheet)",
    )
    p.add_argument(
        "--top-k", type=int, default=3, metavar="K", help="labels per request (default 3)"
    )
    p.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        metavar="X",
        help="flag predictions below this confidence as low_confidence (default: the model's, 0.30)",
    )
    p.add_argument("--model", type=Path, metavar="DIR", help="model folder (default models/r3)")
    p.add_argument(
        "--encoding", help="encoding of a CSV/TSV input (default: detect UTF-8, UTF-8 BOM or CP932)"
    )
    p.add_argument(
        "--output-encoding",
        default="utf-8-sig",
        help="encoding of a CSV/TSV output (default utf-8-sig; cp932 for old tools)",
    )
    p.add_argument("--sheet", help="Excel sheet name or number (default: the first)")
    p.add_argument(
        "--format",
        choices=("csv", "tsv", "xlsx", "jsonl"),
        help="input format if the name does not tell",
    )
    p.add_argument(
        "--output-format",
        choices=("csv", "tsv", "xlsx", "jsonl"),
        help="output format (default: from -o, else the input's)",
    )
    p.add_argument(
        "--level",
        choices=("subitem", "item", "area"),
        default="subitem",
        help="report sub-items (default), or roll scores up to items or areas",
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
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    return p


def _classify(args: argparse.Namespace) -> int:
    from .classify import run_classify

    return run_classify(args, default_model_dir())


def classify_main(argv: Sequence[str] | None = None) -> int:
    """``classify INPUT [-o OUTPUT] [--text-column COL ...] ...``."""
    return _run(_classify, _classify_parser(), argv)


# --------------------------------------------------------------------------- evaluate


def _evaluate_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="evaluate",
        description="Measure the classifier on labelled requests: accuracy, ranking, calibration.",
        epilog=(
            "examples:\n"
            "  evaluate corpus/labelled/requests.csv --gold-column labels --split test \\\n"
            "           --report test_report.json --misclassified misses.csv\n"
            "  evaluate reviewed.xlsx --gold-column accepted_label --level item\n\n"
            "Gold labels: several separated by ';' (a hit is a prediction among them), NONE for\n"
            "out of scope. The JSON report has top1, top3, area_top1, ece, macro_f1, mrr, n,\n"
            "out-of-scope precision/recall, accuracy per confidence band and a confusion table."
        ),
    )
    p.add_argument("input", help="labelled CSV, TSV, XLSX or JSONL file")
    p.add_argument(
        "--gold-column", required=True, metavar="COL", help="column with the gold labels"
    )
    p.add_argument(
        "--text-column", nargs="+", metavar="COL", help="text column(s) (default: as classify)"
    )
    p.add_argument(
        "--id-column", metavar="COL", help="row id column (default: request_id/id if present)"
    )
    p.add_argument("--model", type=Path, metavar="DIR", help="model folder (default models/r3)")
    p.add_argument(
        "--report", type=Path, metavar="REPORT.json", help="write the full report as JSON"
    )
    p.add_argument(
        "--misclassified", type=Path, metavar="OUT.csv", help="write the misclassified rows"
    )
    p.add_argument("--split", help="only rows whose 'split' column has this value (e.g. test)")
    p.add_argument(
        "--level",
        choices=("subitem", "item", "area"),
        default="subitem",
        help="evaluate at sub-item (default), item or area level, with roll-up scores",
    )
    p.add_argument("--encoding", help="encoding of a CSV/TSV input (default: detect)")
    p.add_argument("--sheet", help="Excel sheet name or number")
    p.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        metavar="X",
        help="low-confidence threshold (default: the model's)",
    )
    return p


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from .classify import resolve_text_columns, row_text
    from .errors import InputFileError
    from .evaluate import Scored, evaluate, json_safe
    from .files import ID_COLUMN_CANDIDATES, open_table, pick_column
    from .labels import check_labels, parse_labels
    from .predict import Predictor, card_min_confidence, level_of
    from .store import load_model

    model_dir = args.model or default_model_dir()
    model, card = load_model(model_dir, root=project_root())
    policy = model.policy_
    table = open_table(args.input, None, args.encoding, args.sheet)
    gold_col = pick_column(table.columns, [args.gold_column], (), "gold labels")[0]
    text_idx = [
        table.columns.index(c) for c in resolve_text_columns(table.columns, args.text_column)
    ]
    id_col = args.id_column or next((c for c in ID_COLUMN_CANDIDATES if c in table.columns), None)
    split_idx = None
    if args.split:
        if "split" not in table.columns:
            raise InputFileError("--split needs a 'split' column in the input")
        split_idx = table.columns.index("split")
    ids, texts, golds, problems = [], [], [], []
    for row in table.rows:
        if split_idx is not None and str(row.cells[split_idx]).strip() != args.split:
            continue
        try:
            gold = parse_labels(row.cells[table.columns.index(gold_col)])
        except Exception as exc:
            problems.append(f"row {row.number + 1}: {exc}")
            continue
        if gold is None:
            continue
        bad = check_labels(gold, policy)
        if bad:
            problems.extend(f"row {row.number + 1}: {b}" for b in bad)
            continue
        ids.append(str(row.cells[table.columns.index(id_col)]) if id_col else str(row.number))
        texts.append(row_text(row, text_idx))
        golds.append(gold)
    for p in problems:
        print(f"warning: {p} (row left out)", file=sys.stderr)
    if not texts:
        raise InputFileError("no labelled rows to evaluate")
    min_conf = card_min_confidence(card, args.min_confidence)
    predictor = Predictor(
        model, policy, top_k=len(model.classes_), min_confidence=min_conf, level=args.level
    )
    preds = predictor.predict(texts)
    if args.level != "subitem":
        golds = [
            tuple(dict.fromkeys(level_of(policy, g, args.level) for g in gold)) for gold in golds
        ]
    scored = [Scored(i, g, p) for i, g, p in zip(ids, golds, preds, strict=True)]
    report = evaluate(scored, predictor.columns)
    report["level"] = args.level
    report["model"] = {
        "dir": str(model_dir),
        "policy_id": card.get("policy_id"),
        "model_sha256": card.get("model_sha256"),
    }
    if args.report:
        from .files import atomic_write_bytes

        atomic_write_bytes(
            args.report,
            (
                json.dumps(json_safe(report), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
            ).encode(),
        )
    if args.misclassified:
        write_misclassified(args.misclassified, scored, texts)
    oos = report["out_of_scope"]
    print(
        f"n={report['n']} (in scope {report['n_in_scope']}, out of scope {report['n_out_of_scope']})  "
        f"top1 {report['top1']:.3f}  top3 {report['top3']:.3f}  area_top1 {report['area_top1']:.3f}  "
        f"macro_f1 {report['macro_f1']:.3f}  mrr {report['mrr']:.3f}  ece {report['ece']:.3f}\n"
        f"out of scope: recall {oos['recall']:.3f}  precision {oos['precision']:.3f}  "
        f"in-scope flagged {oos['in_scope_flagged_out']:.3f}"
    )
    return EXIT_OK


def write_misclassified(path: Path, scored, texts) -> None:
    """CSV of rows the classifier got wrong, with gold, predictions, confidences and evidence."""
    from .files import TableWriter

    columns = [
        "id",
        "text",
        "gold",
        "error",
        "label_1",
        "confidence_1",
        "label_2",
        "confidence_2",
        "label_3",
        "confidence_3",
        "evidence_1",
        "status",
    ]
    with TableWriter(path, "csv", columns) as writer:
        for s, text in zip(scored, texts, strict=True):
            p = s.prediction
            first = p.labels[0] if p.labels else ""
            if s.gold:
                if first in s.gold and p.status != "out_of_scope":
                    continue
                error = "flagged out of scope" if p.status == "out_of_scope" else "wrong item"
            else:
                if p.status == "out_of_scope":
                    continue
                error = "out of scope not flagged"
            cells = []
            for k in range(3):
                cells += [p.labels[k], p.confidences[k]] if k < len(p.labels) else ["", ""]
            writer.write(
                [
                    s.id,
                    text,
                    ";".join(s.gold) or "NONE",
                    error,
                    *cells,
                    "、".join(p.evidence),
                    p.status,
                ]
            )


def evaluate_main(argv: Sequence[str] | None = None) -> int:
    """``evaluate INPUT --gold-column COL [...]``."""
    return _run(_evaluate, _evaluate_parser(), argv)


# --------------------------------------------------------------------------- revise


def _revise_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="revise.py",
        description="Compare two policy versions, and propose the old → new label crosswalk.",
        epilog=(
            "examples:\n"
            "  python scripts/revise.py diff --old r3 --new r4                 # what changed\n"
            "  python scripts/revise.py crosswalk --old r3 --new r4            # writes corpus/r4/crosswalk_from_r3.csv\n\n"
            "The crosswalk proposes, for every old item, the new item it most likely became\n"
            "(by text similarity), with the runner-up and a proposal: mapped, ambiguous or\n"
            "removed. Review it in Excel: correct new_label where needed (empty or NONE for\n"
            "a removed item) and put 'yes' in the reviewed column. train.py applies only\n"
            "reviewed rows."
        ),
    )
    p.add_argument("action", choices=("diff", "crosswalk"))
    p.add_argument("--old", required=True, help="old policy id (or corpus folder)")
    p.add_argument("--new", required=True, help="new policy id (or corpus folder)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="CSV to write (diff: optional report; crosswalk: default corpus/<new>/crosswalk_from_<old>.csv)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing crosswalk (it may hold a review!)",
    )
    return p


def _corpus_dir(ref: str) -> Path:
    path = Path(ref)
    return path if (path / "clauses.jsonl").is_file() else project_root() / "corpus" / ref


def _revise(args: argparse.Namespace) -> int:
    import csv
    import io

    from .corpus import read_clauses
    from .errors import InputFileError
    from .files import atomic_write_bytes
    from .revision import crosswalk_csv, diff_policies, propose_crosswalk

    old = read_clauses(_corpus_dir(args.old))
    new = read_clauses(_corpus_dir(args.new))
    if args.action == "diff":
        changes = diff_policies(old, new)
        counts: dict[str, int] = {}
        for ch in changes:
            counts[ch.kind] = counts.get(ch.kind, 0) + 1
            if ch.kind != "unchanged":
                print(
                    f"{ch.kind:<20} {ch.old_label or '-':<8} -> {ch.new_label or '-':<8} "
                    f"{ch.similarity:.2f}  {ch.new_heading or ch.old_heading or ''}"
                )
        print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if args.output:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\r\n")
            writer.writerow(
                ["kind", "old_label", "new_label", "similarity", "old_heading", "new_heading"]
            )
            for ch in changes:
                writer.writerow(
                    [
                        ch.kind,
                        ch.old_label or "",
                        ch.new_label or "",
                        ch.similarity,
                        ch.old_heading or "",
                        ch.new_heading or "",
                    ]
                )
            atomic_write_bytes(args.output, ("\ufeff" + buf.getvalue()).encode("utf-8"))
        return EXIT_OK
    out = args.output or _corpus_dir(args.new) / f"crosswalk_from_{old.policy_id}.csv"
    if out.exists() and not args.force:
        raise InputFileError(
            f"{out} exists and may hold an analyst's review; use --force to replace it"
        )
    rows = propose_crosswalk(old, new)
    atomic_write_bytes(out, crosswalk_csv(rows))
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["proposal"]] = kinds.get(r["proposal"], 0) + 1
        if r["proposal"] != "mapped" or r["old_label"] != r["new_label"]:
            print(
                f"{r['proposal']:<10} {r['old_label']:<8} -> {r['new_label'] or '(removed)':<10} "
                f"score {r['score']}  runner-up {r['runner_up']} {r['runner_up_score']}"
            )
    print(
        f"{len(rows)} old items: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f" -> {out} (review it, then mark rows reviewed=yes)"
    )
    return EXIT_OK


def revise_main(argv: Sequence[str] | None = None) -> int:
    """``revise.py {diff,crosswalk} --old ID --new ID``."""
    return _run(_revise, _revise_parser(), argv)


# --------------------------------------------------------------------------- dispatcher

COMMANDS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "build-corpus": build_corpus_main,
    "train": train_main,
    "classify": classify_main,
    "evaluate": evaluate_main,
    "revise": revise_main,
}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m classifier COMMAND ...``: dispatch to one of the commands."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        names = ", ".join(COMMANDS)
        print(
            f"usage: python -m classifier {{{names}}} ...  (each command has --help)",
            file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout,
        )
        return EXIT_OK if argv and argv[0] in ("-h", "--help") else EXIT_USAGE
    return COMMANDS[argv[0]](argv[1:])
