"""Diff two policy versions / propose the label crosswalk. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import revise_main

raise SystemExit(revise_main())
