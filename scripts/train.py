"""Train the classifier for a policy version. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import train_main

if __name__ == "__main__":  # worker processes re-import this file
    raise SystemExit(train_main())
