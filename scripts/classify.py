"""Classify exported budget requests. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import classify_main

if __name__ == "__main__":  # worker processes re-import this file
    raise SystemExit(classify_main())
