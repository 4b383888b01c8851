"""Command-line entry points: argument parsing and error → exit-code mapping, nothing more.

Each entry point is a function of ``argv`` so tests call it in-process; the work is done
by the typed functions in :mod:`classifier.commands`, which take the parsed options as
keyword arguments (each option's ``dest`` is the parameter's name). ``scripts/*.py`` and
the console scripts in ``pyproject.toml`` only wrap these functions.
Exit codes: 0 done (flagged rows included), 2 usage or unreadable input, 1 unexpected bug.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import cli_parsers as parsers
from .errors import ClassifierError, Terminated

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_SIGPIPE = 141  # as a shell reports a process ended by SIGPIPE


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _run(
    func: Callable[..., int], parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> int:
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    previous = _on_sigterm()
    try:
        return func(**vars(args))
    except ClassifierError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted; no output file was written")
        return 130
    except Terminated:
        _err("terminated; no output file was written")
        return 143
    except BrokenPipeError:
        # The reader went away (``classify - | head -1``): what it read was delivered.
        _quiet_stdout()
        return EXIT_SIGPIPE
    except ModuleNotFoundError as exc:
        _err(
            f"a package the tool needs is not installed ({exc.name}); set up the project with "
            f"`make setup` and run the tool from it (`.venv/bin/classify …` or "
            f"`.venv/bin/python scripts/classify.py …`)"
        )
        return EXIT_USAGE
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated


def _on_sigterm() -> Any:
    """Turn SIGTERM into an exception, so partial outputs are removed and workers stopped
    on the way out (as for Ctrl-C); returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _terminate)


def _quiet_stdout() -> None:
    # Standard output is a closed pipe: point it at /dev/null so the interpreter's final
    # flush does not fail again.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


# --------------------------------------------------------------------------- build-corpus


def _build_corpus(**options: Any) -> int:
    from .commands.build_corpus import build_corpus

    return build_corpus(**options)


def build_corpus_main(argv: Sequence[str] | None = None) -> int:
    """``build_corpus.py SOURCE.txt --policy-id ID --out DIR``."""
    return _run(_build_corpus, parsers.build_corpus_parser(), argv)


# --------------------------------------------------------------------------- train


def _train(**options: Any) -> int:
    from .commands.train import train

    return train(**options)


def train_main(argv: Sequence[str] | None = None) -> int:
    """``train.py [--policy ID] [--labelled FILE ...]``."""
    return _run(_train, parsers.train_parser(), argv)


# --------------------------------------------------------------------------- classify


def _classify(**options: Any) -> int:
    from .commands.classify import ClassifyOptions, classify

    return classify(ClassifyOptions(**options))


def classify_main(argv: Sequence[str] | None = None) -> int:
    """``classify INPUT [-o OUTPUT] [--text-column COL ...] ...``."""
    return _run(_classify, parsers.classify_parser(), argv)


# --------------------------------------------------------------------------- evaluate


def _evaluate(**options: Any) -> int:
    from .commands.evaluate import evaluate

    return evaluate(**options)


def evaluate_main(argv: Sequence[str] | None = None) -> int:
    """``evaluate INPUT --gold-column COL [...]``."""
    return _run(_evaluate, parsers.evaluate_parser(), argv)


# --------------------------------------------------------------------------- revise


def _revise(action: str, **options: Any) -> int:
    from .commands.revise import revise_crosswalk, revise_diff

    if action == "diff":
        return revise_diff(**options)
    return revise_crosswalk(**options)


def revise_main(argv: Sequence[str] | None = None) -> int:
    """``revise.py {diff,crosswalk} --old ID --new ID``."""
    return _run(_revise, parsers.revise_parser(), argv)


# --------------------------------------------------------------------------- show-results


def _show_results(**options: Any) -> int:
    from .commands.show import show_results

    return show_results(**options)


def show_results_main(argv: Sequence[str] | None = None) -> int:
    """``show_results.py CLASSIFIED``."""
    return _run(_show_results, parsers.show_results_parser(), argv)


# --------------------------------------------------------------------------- dispatcher

COMMANDS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "build-corpus": build_corpus_main,
    "train": train_main,
    "classify": classify_main,
    "evaluate": evaluate_main,
    "revise": revise_main,
    "show-results": show_results_main,
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
