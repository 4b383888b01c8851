"""Saving and loading models, in a format that cannot run code when it is loaded.

A model folder ``models/<policy-id>/`` holds:

``model_card.json``  provenance and checks: versions, corpus hash, parameters, metrics
``model.json``       the model's settings and small state (lexicon, weights of the layers)
``model.npz``        its arrays (vectors and scorers), read with ``allow_pickle=False``

Nothing here unpickles: JSON is data, and numpy refuses object arrays without pickle. A
model received from someone else can therefore hold wrong numbers, never a program. The
card is checked field by field before anything is used, the corpus it was trained on must
be present and unchanged, and the two model files must match the card's checksum (an
integrity check against damage; it cannot prove who made the model, and need not).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import platform
import re
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .corpus import read_clauses
from .errors import ModelLoadError
from .model import PolicyClassifier
from .model_checks import check_archive, check_runs, check_state, check_values
from .paths import corpus_dir, is_policy_id, model_folder, project_root
from .scope import ScopeArrays
from .tables import atomic_write_bytes, sha256_file
from .tokens import SUDACHI_PLUGINS, JapaneseTokenizer, TokenizerSettings
from .vectors import ScorerArrays

CARD_FILE = "model_card.json"
STATE_FILE = "model.json"
ARRAYS_FILE = "model.npz"
LEGACY_FILE = "model.joblib"  # the old pickle format: refused, never loaded
FORMAT_VERSION = 2
# Versions that change tokens, and so every feature: a model is valid only with these.
PINNED = ("sudachipy", "sudachidict-core")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same model gives the same bytes
_CAPS = ("max_chars", "anchored_max_chars")  # the scope model's length caps (ScopeArrays)


def environment(
    names: tuple[str, ...] = (*PINNED, "numpy", "scipy", "scikit-learn"),
) -> dict[str, str]:
    """Versions of Python and of ``names`` (a load looks up only the pinned ones)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


# --------------------------------------------------------------------------- writing


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(
                member, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def _state(model: PolicyClassifier) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    fitted = model.fitted_
    arrays: dict[str, np.ndarray] = {
        "feature_names": np.asarray(fitted.feature_names, dtype=str),
        "idf": fitted.idf,
        "proto": fitted.proto,
        "centroid": fitted.centroid,
    }
    if fitted.lr_coef is not None and fitted.lr_intercept is not None:
        arrays["lr_coef"], arrays["lr_intercept"] = fitted.lr_coef, fitted.lr_intercept
    scope = model.scope_
    scope_state = None
    if scope is not None:
        grams = [""] * len(scope.gram_index)
        for gram, i in scope.gram_index.items():
            grams[i] = gram
        arrays["gram_names"] = np.asarray(grams, dtype=str)
        arrays["gram_idf"], arrays["gram_coef"] = scope.gram_idf, scope.gram_coef
        arrays["word_coef"] = scope.word_coef
        scope_state = {
            "gram_intercept": scope.gram_intercept,
            "word_intercept": scope.word_intercept,
            "anchored": scope.anchored.tolist(),
            "plain": scope.plain.tolist(),
            **{k: v for k in _CAPS if math.isfinite(v := getattr(scope, k))},
        }
    settings = model.tokenizer_.settings
    state = {
        "class": "PolicyClassifier",
        "params": {
            k: v
            for k, v in vars(model).items()
            if not k.endswith("_") and k != "tokenizer_settings"
        },
        "tokenizer_settings": {
            "dictionary": settings.dictionary,
            "mode": settings.mode,
            "subwords": settings.subwords,
            "synonyms": settings.synonyms,
            "max_synonym_groups": settings.max_synonym_groups,
            "thesaurus": [list(pair) for pair in settings.thesaurus],
            **{name: getattr(settings, name) for name in SUDACHI_PLUGINS},
        },
        "lexicon": {s: [list(p) for p in pairs] for s, pairs in model.tokenizer_.lexicon.items()},
        "policy_id": model.policy_id_,
        "classes": [str(c) for c in model.classes_],
        "n_examples": model.n_examples_,
        "has_examples": bool(model.has_examples_),
        "blend": [float(w) for w in model.blend_],
        "min_similarity": model.min_similarity_,
        "label_layers": {k: v.tolist() for k, v in model.label_layers_.items()},
        "scope": scope_state,
    }
    return state, arrays


def save_model(model: PolicyClassifier, out_dir: Path, card: dict[str, Any]) -> Path:
    """Write the model files and its card atomically; return the folder."""
    out_dir = Path(out_dir)
    state, arrays = _state(model)
    state_bytes = (json.dumps(state, ensure_ascii=False, sort_keys=True) + "\n").encode()
    array_bytes = _npz_bytes(arrays)
    card = {
        "format_version": FORMAT_VERSION,
        **card,
        "model_sha256": _digest(state_bytes, array_bytes),
        "environment": environment(),
    }
    # Every file is made before any is written: a card JSON cannot hold (NaN) must not
    # leave a new model beside the old card, which would then fail its checksum.
    card_bytes = (json.dumps(card, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()
    atomic_write_bytes(out_dir / ARRAYS_FILE, array_bytes)
    atomic_write_bytes(out_dir / STATE_FILE, state_bytes)
    atomic_write_bytes(out_dir / CARD_FILE, card_bytes)
    (out_dir / LEGACY_FILE).unlink(missing_ok=True)
    return out_dir


def _digest(state: bytes, arrays: bytes) -> str:
    """sha256 over both model files (each prefixed by its length, so none can shift)."""
    h = hashlib.sha256()
    for part in (state, arrays):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


# --------------------------------------------------------------------------- reading


def _retrain(card: dict[str, Any] | None = None) -> str:
    policy = card.get("policy_id") if isinstance(card, dict) else None
    return (
        f"retrain it with `python scripts/train.py --policy "
        f"{policy if is_policy_id(policy) else '<policy-id>'}`"
    )


def read_card(model_dir: Path) -> dict[str, Any]:
    """The model card, checked field by field; a clear error if the folder holds no model."""
    model_dir = model_folder(model_dir)
    card_path = model_dir / CARD_FILE
    if not card_path.is_file():
        if (model_dir / LEGACY_FILE).is_file():
            raise ModelLoadError(
                f"{model_dir} holds a model in the old pickle format ({LEGACY_FILE}), which "
                f"could run code when loaded and is not read any more; {_retrain()}"
            )
        raise ModelLoadError(
            f"no model in {model_dir} (missing {CARD_FILE}); train one with "
            f"`python scripts/train.py --policy <policy-id>`"
        )
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelLoadError(f"{card_path} is damaged ({exc}); retrain the model") from exc
    problems = check_card(card)
    if problems:
        raise ModelLoadError(
            f"{card_path} is not a valid model card ({'; '.join(problems[:3])}); {_retrain(card)}"
        )
    return card


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def check_card(card: Any) -> list[str]:
    """What is wrong with a model card (empty if nothing): every field used is typed and
    in range, so a bad value is refused here rather than failing row by row later."""
    if not isinstance(card, dict):
        return ["not a JSON object"]
    problems: list[str] = []
    if card.get("format_version") != FORMAT_VERSION:
        if isinstance(card.get("format_version"), int) and card["format_version"] < FORMAT_VERSION:
            return [f"model format {card['format_version']} is no longer read (it was a pickle)"]
        problems.append(f"format_version must be {FORMAT_VERSION}")
    if not is_policy_id(card.get("policy_id")):
        # It names folders (corpus/<id>, models/<id>) and is printed in commands to run.
        problems.append("policy_id must be a policy version name such as r3")
    classes = card.get("classes")
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        problems.append("classes must be a list of labels")
    corpus = card.get("corpus")
    if not isinstance(corpus, dict):
        problems.append("corpus must be an object")
    else:
        if not isinstance(corpus.get("dir"), str) or not corpus["dir"]:
            problems.append("corpus.dir must name the corpus folder")
        if not isinstance(corpus.get("clauses_sha256"), str) or not _HEX64.match(
            corpus["clauses_sha256"]
        ):
            problems.append("corpus.clauses_sha256 must be a sha256")
    params = card.get("parameters")
    if not isinstance(params, dict):
        problems.append("parameters must be an object")
    else:
        for key in ("min_confidence", "in_scope_threshold"):
            value = params.get(key)
            if not (isinstance(value, int | float) and _number(value) and 0.0 <= value <= 1.0):
                problems.append(f"parameters.{key} must be a number between 0 and 1")
    env = card.get("environment")
    if not isinstance(env, dict) or not all(isinstance(env.get(k), str) for k in PINNED):
        problems.append(f"environment must record {', '.join(PINNED)}")
    if not isinstance(card.get("model_sha256"), str) or not _HEX64.match(card["model_sha256"]):
        problems.append("model_sha256 must be a sha256")
    return problems


def policy_dir_for(card: dict[str, Any], root: Path | None = None) -> Path:
    """The corpus folder a model belongs to (from its card), relative to the project root."""
    return (
        (root or project_root()) / card["corpus"]["dir"]
        if card["corpus"].get("dir")
        else (corpus_dir(card["policy_id"], root))
    )


def load_model(
    model_dir: Path, corpus_dir: Path | None = None, root: Path | None = None
) -> tuple[PolicyClassifier, dict[str, Any]]:
    """Load a model after checking its card against this environment and its corpus.

    The corpus is ``corpus_dir``, else the one the card names (under ``root``, default
    the project); it must exist and be the one the model was trained on.
    """
    model_dir = model_folder(model_dir)
    card = read_card(model_dir)
    retrain = _retrain(card)
    here = environment(PINNED)
    made = card["environment"]
    mismatched = [f"{k} {made[k]} (installed: {here[k]})" for k in PINNED if made[k] != here[k]]
    if mismatched:
        raise ModelLoadError(
            f"{model_dir}: the model was made with other versions: {', '.join(mismatched)}. "
            f"Install the pinned versions (`pip install -c constraints.txt -e .`) or {retrain}"
        )
    corpus = Path(corpus_dir) if corpus_dir is not None else policy_dir_for(card, root)
    clauses = corpus / "clauses.jsonl"
    if not clauses.is_file():
        raise ModelLoadError(
            f"{model_dir}: its corpus {corpus} is not here (no clauses.jsonl); build it with "
            f"`python scripts/build_corpus.py`, or give the model's project with CLASSIFIER_HOME"
        )
    if sha256_file(clauses) != card["corpus"]["clauses_sha256"]:
        raise ModelLoadError(
            f"{model_dir}: the model was trained on a different version of {clauses}; {retrain}"
        )
    state_path, arrays_path = model_dir / STATE_FILE, model_dir / ARRAYS_FILE
    if not state_path.is_file() or not arrays_path.is_file():
        raise ModelLoadError(f"{model_dir}: {STATE_FILE} or {ARRAYS_FILE} is missing; {retrain}")
    state_bytes, array_bytes = state_path.read_bytes(), arrays_path.read_bytes()
    if _digest(state_bytes, array_bytes) != card["model_sha256"]:
        raise ModelLoadError(
            f"{model_dir}: the model files are damaged or were replaced (checksum differs "
            f"from the card); {retrain}"
        )
    try:
        state = json.loads(state_bytes)
        check_archive(array_bytes)
        with np.load(io.BytesIO(array_bytes), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        model = _rebuild(state, arrays)
    except (
        ValueError,
        KeyError,
        TypeError,
        OSError,
        zipfile.BadZipFile,
        RecursionError,
        MemoryError,
        OverflowError,
        EOFError,
        AttributeError,
    ) as exc:
        raise ModelLoadError(f"{model_dir}: the model cannot be read ({exc}); {retrain}") from exc
    model.policy_ = read_clauses(corpus)
    if [c.label for c in model.policy_.targets] != list(model.classes_):
        raise ModelLoadError(f"{model_dir}: the model's classes are not its corpus's; {retrain}")
    # The card is what a reader trusts (show_results, evaluate print it): it must describe
    # this model, and the corpus it was checked against must be this policy's.
    if card["policy_id"] != model.policy_id_ or model.policy_.policy_id != model.policy_id_:
        raise ModelLoadError(
            f"{model_dir}: the card, the model and its corpus name different policies "
            f"({card['policy_id']}, {model.policy_id_}, {model.policy_.policy_id}); {retrain}"
        )
    if list(card["classes"]) != list(model.classes_):
        raise ModelLoadError(f"{model_dir}: the card's classes are not the model's; {retrain}")
    check_runs(model, model_dir, retrain)
    return model, card


def _rebuild(state: dict[str, Any], arrays: dict[str, np.ndarray]) -> PolicyClassifier:
    check_state(state)
    t = state["tokenizer_settings"]
    settings = TokenizerSettings(
        dictionary=str(t["dictionary"]),
        mode=str(t["mode"]),
        subwords=bool(t["subwords"]),
        synonyms=bool(t["synonyms"]),
        max_synonym_groups=int(t["max_synonym_groups"]),
        thesaurus=tuple((str(a), str(b)) for a, b in t["thesaurus"]),
        # A model saved before a setting existed was trained with Sudachi's default.
        **{name: bool(t.get(name, True)) for name in SUDACHI_PLUGINS},
    )
    model = PolicyClassifier(tokenizer_settings=settings, **state["params"])
    tokenizer = JapaneseTokenizer(settings)
    tokenizer.lexicon = {
        str(s): tuple((str(f), str(w)) for f, w in pairs) for s, pairs in state["lexicon"].items()
    }
    model.tokenizer_ = tokenizer
    model.policy_id_ = str(state["policy_id"])
    model.classes_ = np.array([str(c) for c in state["classes"]])
    model.n_examples_ = int(state["n_examples"])
    model.has_examples_ = bool(state["has_examples"])
    model.blend_ = np.array(state["blend"], dtype=float)
    model.min_similarity_ = float(state["min_similarity"])
    model.label_layers_ = {
        str(k): np.array(v, dtype=float) for k, v in state["label_layers"].items()
    }
    names = arrays["feature_names"]
    model.fitted_ = ScorerArrays(
        {str(f): i for i, f in enumerate(names.tolist())},
        names,
        arrays["idf"],
        arrays["proto"],
        arrays["centroid"],
        arrays.get("lr_coef"),
        arrays.get("lr_intercept"),
    )
    scope = state["scope"]
    model.scope_ = None
    if scope is not None:
        grams = arrays["gram_names"].tolist()
        model.scope_ = ScopeArrays(
            {str(g): i for i, g in enumerate(grams)},
            arrays["gram_idf"],
            arrays["gram_coef"],
            float(scope["gram_intercept"]),
            arrays["word_coef"],
            float(scope["word_intercept"]),
            np.array(scope["anchored"], dtype=float),
            np.array(scope["plain"], dtype=float),
            **{k: float(scope.get(k, math.inf)) for k in _CAPS},
        )
    # Anchored weights: 4 before the distinct-terms feature, 5 before policy similarity, 6.
    if model.scope_ is not None and (
        len(model.scope_.anchored) not in (4, 5, 6) or len(model.scope_.plain) != 4
    ):
        raise ValueError("the scope model's calibration layers have the wrong length")
    n_classes, n_features = len(model.classes_), len(names)
    for name in ("proto", "centroid"):
        if arrays[name].shape != (n_classes, n_features):
            raise ValueError(f"{name} has shape {arrays[name].shape}")
    check_values(model, arrays)
    return model
