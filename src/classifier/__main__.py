"""``python -m classifier COMMAND``."""

from .cli import main

raise SystemExit(main())
