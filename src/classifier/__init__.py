"""Classify Japanese budget requests against the cybersecurity budget-priority policy.

The public API (everything else is internal and may change)::

    policy = parse_policy(text, "r3")                  # or read_clauses(Path("corpus/r3"))
    model, card = load_model(Path("models/r3"))        # checked against its card
    predictions = Predictor(model, model.policy_).predict(["市町村の情報セキュリティ対策"])

Names are imported on first use, so ``import classifier`` (and every command's start-up)
does not pay for numpy, scipy or the model until they are needed.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from . import _kernels  # noqa: F401  (first: it must run before numpy loads)
from .errors import (
    ClassifierError,
    InputFileError,
    LabelError,
    ModelLoadError,
    OutputFileError,
    PolicyParseError,
    WorkerError,
)
from .vocab import Level, Status

# public name -> module that defines it
_LAZY = {
    "Artefact": "policy",
    "Clause": "policy",
    "Policy": "policy",
    "SummaryEntry": "policy",
    "parse_policy": "policy",
    "load_policy": "corpus",
    "read_clauses": "corpus",
    "LabelledRequest": "labels",
    "normalize_label": "labels",
    "parse_labels": "labels",
    "read_labelled": "dataset",
    "PolicyClassifier": "model",
    "Prediction": "predict",
    "Predictor": "predict",
    "load_model": "store",
    "save_model": "store",
}

__all__ = [
    "ClassifierError",
    "InputFileError",
    "LabelError",
    "Level",
    "ModelLoadError",
    "OutputFileError",
    "PolicyParseError",
    "Status",
    "WorkerError",
    *_LAZY,
]


@contextlib.contextmanager
def _outside_working_folder() -> Iterator[None]:
    """Imports that look nowhere in the working folder. A REPL, ``python -c`` and Jupyter
    put it on the import path (as ``''``, which follows ``os.chdir``): a name first used
    while the working folder is a model folder someone sent would otherwise import the
    dependencies (numpy, Sudachi, its dictionary) from any package of that name there."""
    here = os.getcwd()
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if os.path.abspath(p or os.curdir) != here]
    try:
        yield
    finally:
        sys.path[:] = saved


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        with _outside_working_folder():
            module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
