"""Evaluate the classifier on labelled requests. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import evaluate_main

raise SystemExit(evaluate_main())
