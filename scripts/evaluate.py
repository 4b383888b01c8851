"""Evaluate the classifier on labelled requests. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import evaluate_main

if __name__ == "__main__":  # worker processes re-import this file
    raise SystemExit(evaluate_main())
