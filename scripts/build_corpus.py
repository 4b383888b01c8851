"""Build the clause corpus of one policy version. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import build_corpus_main

if __name__ == "__main__":  # worker processes re-import this file
    raise SystemExit(build_corpus_main())
