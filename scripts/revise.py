"""Diff two policy versions / propose the label crosswalk. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import revise_main

if __name__ == "__main__":  # worker processes re-import this file
    raise SystemExit(revise_main())
