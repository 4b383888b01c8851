"""Command-line entry points. Each is a function of ``argv`` so tests call it in-process.

``scripts/*.py`` and the console scripts in ``pyproject.toml`` only wrap these functions.
Exit codes: 0 done (flagged rows included), 2 usage or unreadable input, 1 unexpected bug.
"""

from __future__ import annotations

import argparse
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


# --------------------------------------------------------------------------- dispatcher

COMMANDS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "build-corpus": build_corpus_main,
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
