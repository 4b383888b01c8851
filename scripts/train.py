"""Train the classifier for a policy version. See ``--help``."""

import _bootstrap  # noqa: F401

from classifier.cli import train_main

raise SystemExit(train_main())
