"""What a model read from a folder must satisfy before it is used, beyond its card and
checksum (which anyone sending a model can recompute): an archive no bigger than a model,
finite numbers in their ranges, and one text scored without error. A damaged or hostile
model is then refused once, at load, instead of failing or giving NaN on every row."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from . import calibration
from .errors import ModelLoadError
from .model import PolicyClassifier

# A model's arrays, uncompressed: the committed one holds about 20 MB.
_MAX_ARRAY_BYTES = 1 << 30
_MAX_WEIGHT = 1e6
# A text every model must score: it names a security term, so both scope paths run.
_PROBE = "政府機関の情報システムのセキュリティ対策を強化する。"


def check_archive(array_bytes: bytes) -> None:
    """Refuse an archive that would unpack to more than a model holds, before unpacking."""
    with zipfile.ZipFile(io.BytesIO(array_bytes)) as zf:
        total = sum(i.file_size for i in zf.infolist())
    if total > _MAX_ARRAY_BYTES:
        raise ValueError(f"its arrays would unpack to {total:,} bytes, more than a model holds")


def check_runs(model: PolicyClassifier, model_dir: Path, retrain: str) -> None:
    """Score one known text, so that a model whose files pass every other check but cannot
    run (arrays of the wrong shape, a tokenizer setting Sudachi refuses) is reported here,
    once, rather than as an error on every row; and refuse one whose probabilities are no
    probabilities."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            scores = model.score(model.tokenizer_.analyze_batch([_PROBE]))
    except Exception as exc:
        raise ModelLoadError(
            f"{model_dir}: the model cannot score a text ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); {retrain}"
        ) from exc
    proba, p_in = scores.proba, scores.p_in
    if not (np.isfinite(proba).all() and np.isfinite(p_in).all()) or not (
        (p_in >= 0).all() and (p_in <= 1).all()
    ):
        raise ModelLoadError(
            f"{model_dir}: the model gives values that are not probabilities; {retrain}"
        )


def check_values(model: PolicyClassifier, arrays: dict[str, np.ndarray]) -> None:
    """Numbers a model cannot hold: NaN or infinity anywhere, thresholds outside 0–1,
    calibration layers of another length than :mod:`calibration` applies."""
    settings = model.tokenizer_.settings
    # Sudachi imports the package ``sudachidict_<dictionary>`` and reads a path as a
    # dictionary file: a model names only the pinned one, never code or a file to load.
    if settings.dictionary != "core" or settings.mode not in ("A", "B", "C"):
        raise ValueError(
            f"its tokenizer settings name dictionary {settings.dictionary!r} and mode "
            f"{settings.mode!r}; a model uses the pinned core dictionary and mode A, B or C"
        )
    for name, array in arrays.items():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            raise ValueError(f"{name} holds values that are not finite numbers")
    numbers = {
        "blend": model.blend_,
        "min_similarity": np.array([model.min_similarity_]),
        **{f"label_layers.{k}": v for k, v in model.label_layers_.items()},
    }
    if model.scope_ is not None:
        numbers["scope.anchored"] = model.scope_.anchored
        numbers["scope.plain"] = model.scope_.plain
        for cap in ("max_chars", "anchored_max_chars"):  # infinite: saved before the cap
            if not getattr(model.scope_, cap) > 0:
                raise ValueError(f"scope.{cap} must be a positive length")
        numbers["scope intercepts"] = np.array(
            [model.scope_.gram_intercept, model.scope_.word_intercept]
        )
    for name, values in numbers.items():
        if not np.isfinite(values).all():
            raise ValueError(f"{name} holds values that are not finite numbers")
        # Fitted weights are tens at most; a millionfold one overflows exp() downstream.
        if name != "min_similarity" and (np.abs(values) > _MAX_WEIGHT).any():
            raise ValueError(f"{name} holds weights no fitted model has")
    for name in ("feature_names", "gram_names"):
        if name in arrays and arrays[name].dtype.kind != "U":
            raise ValueError(f"{name} is not text")
    if len(model.blend_) != 3:
        raise ValueError(f"blend has {len(model.blend_)} weights, not 3")
    lengths = (calibration.N_FEATURES, calibration.N_FEATURES + 2)  # before / after length
    for level, layer in model.label_layers_.items():
        if len(layer) not in lengths:
            raise ValueError(f"label_layers.{level} has {len(layer)} values")
    if model.has_examples_ and not model.label_layers_:
        raise ValueError("a model learnt from requests has no calibration layers")
    threshold = model.in_scope_threshold
    if not (isinstance(threshold, int | float) and 0.0 <= threshold <= 1.0):
        raise ValueError("params.in_scope_threshold must be a number between 0 and 1")
