"""Classify exported budget requests. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import classify_main

raise SystemExit(classify_main())
