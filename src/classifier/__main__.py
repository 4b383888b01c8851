"""``python -m classifier COMMAND``."""

import os
import sys

# `python -m` puts the working folder first on the import path. Run inside a folder someone
# sent (a model), a package there named like a dependency (sudachidict_core, numpy) would be
# imported and run; this package is already imported, and nothing else comes from there.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from .cli import main

raise SystemExit(main())
