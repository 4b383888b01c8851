"""Settings a user gives, checked alike wherever they are given: on the command line
(train, classify, evaluate) and to the Predictor."""

from __future__ import annotations

import numbers

from .errors import InputFileError
from .vocab import ROLLUP_LEVELS


def check_fraction(value: float | None, option: str, required: bool = False) -> None:
    """Refuse a probability option outside [0, 1] (NaN too, or not a number; None where
    ``required``), naming it: every command and the Predictor check here, so
    ``--min-confidence 5`` is refused alike everywhere."""
    if value is None and not required:
        return
    if not isinstance(value, numbers.Real) or isinstance(value, bool):  # numpy's too
        raise InputFileError(f"{option} must be a number between 0 and 1, not {value!r}")
    if not 0.0 <= value <= 1.0:
        raise InputFileError(f"{option} must be between 0 and 1")


def check_settings(top_k: object, level: object, n_evidence: object) -> None:
    """Refuse a Predictor setting the CLI would refuse, before any row is predicted."""
    for name, value, least in (("top_k", top_k, 1), ("n_evidence", n_evidence, 0)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < least:
            raise InputFileError(f"{name} must be a whole number of at least {least}")
    if level not in {str(v) for v in ROLLUP_LEVELS}:
        raise InputFileError(f"level must be one of {', '.join(map(str, ROLLUP_LEVELS))}")
