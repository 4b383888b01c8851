"""What a model read from a folder must satisfy before it is used, beyond its card and
checksum (which anyone sending a model can recompute): an archive no bigger than a model,
finite numbers in their ranges, and one text scored without error. A damaged or hostile
model is then refused once, at load, instead of failing or giving NaN on every row."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from . import calibration
from .errors import ModelLoadError
from .model import PolicyClassifier
from .vocab import ROLLUP_LEVELS

# A model's arrays, uncompressed: the committed one holds about 20 MB.
_MAX_ARRAY_BYTES = 1 << 30
_MAX_WEIGHT = 1e6
# A text every model must score: it names a security term, so both scope paths run.
_PROBE = "政府機関の情報システムのセキュリティ対策を強化する。"


def check_state(state: Any) -> None:
    """The structure of the model's JSON file, checked before anything is built from it:
    each field of the type it is written with, so an edited file is refused in words about
    the field, not Python's about unpacking, and no number is read as a word (``[1, null]``
    as the thesaurus pair "1" → "None")."""
    if not isinstance(state, dict) or state.get("class") != "PolicyClassifier":
        raise ValueError("not a policy classifier")
    settings = state.get("tokenizer_settings")
    if not isinstance(settings, dict):
        raise ValueError("tokenizer_settings must be an object")
    # A switch written as text ("no") would be read as on: Python's truth of a string.
    switches = ("join_numerals", "ignore_yomigana", "subwords", "synonyms")
    if not all(isinstance(settings.get(k, False), bool) for k in switches) or not isinstance(
        state.get("has_examples", False), bool
    ):
        raise ValueError(f"{', '.join(switches)} and has_examples must be true or false")
    groups = settings.get("max_synonym_groups", 0)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 0:
        raise ValueError("max_synonym_groups must be a whole number, 0 or more")
    if not _pairs(settings.get("thesaurus"), empty=False):
        raise ValueError("the thesaurus must be a list of [term, concept] pairs of text")
    lexicon = state.get("lexicon")
    if not isinstance(lexicon, dict) or not all(_pairs(v) for v in lexicon.values()):
        raise ValueError("the lexicon must give each word a list of pairs of text")
    classes = state.get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise ValueError("classes must be a list of labels")
    layers = state.get("label_layers")
    if not isinstance(layers, dict) or not all(_numbers(v) for v in layers.values()):
        raise ValueError("label_layers must give each level a list of numbers")
    if not _numbers(state.get("blend")) or not _numbers([state.get("min_similarity")]):
        raise ValueError("blend and min_similarity must be numbers")
    n = state.get("n_examples")
    if (
        isinstance(n, bool)
        or not isinstance(n, int)
        or n < 0
        or not isinstance(state.get("params"), dict)
    ):
        raise ValueError("n_examples must be a whole number, 0 or more, and params an object")
    if any(w < 0 for w in state["blend"]):  # fitted within [0, 200]
        raise ValueError("blend weights cannot be negative")
    scope = state.get("scope")
    if scope is not None and not (
        isinstance(scope, dict)
        and _numbers(scope.get("anchored"))
        and _numbers(scope.get("plain"))
        and _numbers([scope.get("gram_intercept"), scope.get("word_intercept")])
    ):
        raise ValueError("the scope model's layers and intercepts must be numbers")


def _pairs(value: Any, empty: bool = True) -> bool:
    """A list of [text, text] pairs (``empty=False``: neither text empty)."""
    return isinstance(value, list) and all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(x, str) and (empty or x.strip()) for x in p)
        for p in value
    )


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


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
        if array.dtype.kind in "fc" and array.size and np.abs(array).max() > _MAX_WEIGHT:
            raise ValueError(f"{name} holds weights no fitted model has")
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
    _check_shapes(arrays, len(model.classes_))
    if len(model.blend_) != 3:
        raise ValueError(f"blend has {len(model.blend_)} weights, not 3")
    lengths = (calibration.N_FEATURES, calibration.N_FEATURES + 2)  # before / after length
    for level, layer in model.label_layers_.items():
        if len(layer) not in lengths:
            raise ValueError(f"label_layers.{level} has {len(layer)} values")
    if model.has_examples_ and not model.label_layers_:
        raise ValueError("a model learnt from requests has no calibration layers")
    layers = model.label_layers_
    missing = [str(lv) for lv in ROLLUP_LEVELS if layers and str(lv) not in layers]
    if missing:  # --level would fail on every row (a KeyError per batch)
        raise ValueError(f"label_layers has no layer for the level(s) {', '.join(missing)}")
    threshold = model.in_scope_threshold
    if not (isinstance(threshold, int | float) and 0.0 <= threshold <= 1.0):
        raise ValueError("params.in_scope_threshold must be a number between 0 and 1")


# Each array's shape in terms of the vocabularies' and the classes' sizes: a row scored
# with an array shorter than its vocabulary fails (or reads the wrong weights) only for the
# words beyond its end, so the fixed text the load scores need not meet it.
_SHAPES = {
    "idf": ("feature_names",),
    "word_coef": ("feature_names",),
    "lr_intercept": ("classes",),
    "lr_coef": ("classes", "feature_names"),
    "centroid": ("classes", "feature_names"),
    "proto": ("classes", "feature_names"),
    "gram_idf": ("gram_names",),
    "gram_coef": ("gram_names",),
}


def _check_shapes(arrays: dict[str, np.ndarray], n_classes: int) -> None:
    sizes = {"classes": n_classes}
    sizes.update({n: len(arrays[n]) for n in ("feature_names", "gram_names") if n in arrays})
    for name, dims in _SHAPES.items():
        if name not in arrays or not all(d in sizes for d in dims):
            continue
        wanted = tuple(sizes[d] for d in dims)
        if arrays[name].shape != wanted:
            raise ValueError(
                f"{name} has shape {arrays[name].shape}, not {wanted} ({' x '.join(dims)})"
            )
