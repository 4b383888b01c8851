"""Print a classified file as a compact table and its budget summary. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import show_results_main

if __name__ == "__main__":
    raise SystemExit(show_results_main())
