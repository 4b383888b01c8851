"""Saving and loading models: ``models/<policy-id>/model.joblib`` + ``model_card.json``.

The card is read before the joblib file so that a model made with other library versions
or for another corpus is refused with a message that says how to retrain, instead of a
pickle error. A joblib file runs code when loaded: load only models from a trusted source.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import ModelLoadError
from .model import PolicyClassifier
from .paths import corpus_dir
from .tables import atomic_write_bytes, sha256_file

MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
FORMAT_VERSION = 1
# Versions that change features or the pickle: a model is only valid with exactly these.
PINNED = ("scikit-learn", "sudachipy", "sudachidict-core", "numpy", "scipy")


def environment() -> dict[str, str]:
    """Versions of Python and of the libraries the model depends on."""
    versions = {"python": platform.python_version()}
    for name in (*PINNED, "joblib", "pandas"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def save_model(model: PolicyClassifier, out_dir: Path, card: dict[str, Any]) -> Path:
    """Write the model and its card atomically; return the model file path."""
    import io

    import joblib

    out_dir = Path(out_dir)
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    data = buf.getvalue()
    card = {
        "format_version": FORMAT_VERSION,
        **card,
        "model_sha256": hashlib.sha256(data).hexdigest(),
        "environment": environment(),
    }
    atomic_write_bytes(out_dir / MODEL_FILE, data)
    atomic_write_bytes(
        out_dir / CARD_FILE,
        (json.dumps(card, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode(),
    )
    return out_dir / MODEL_FILE


def read_card(model_dir: Path) -> dict[str, Any]:
    """The model card, or a clear error if the folder holds no model."""
    card_path = Path(model_dir) / CARD_FILE
    if not card_path.is_file():
        raise ModelLoadError(
            f"no model in {model_dir} (missing {CARD_FILE}); train one with "
            f"`python scripts/train.py --policy <policy-id>`"
        )
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{card_path} is damaged ({exc}); retrain the model") from exc
    if not isinstance(card, dict) or not all(
        isinstance(card.get(k, {}), dict) for k in ("environment", "corpus", "parameters")
    ):
        raise ModelLoadError(f"{card_path} is not a model card; retrain the model")
    return card


def load_model(
    model_dir: Path, corpus_dir: Path | None = None, root: Path | None = None
) -> tuple[PolicyClassifier, dict[str, Any]]:
    """Load a model after checking its card against this environment and corpus.

    The corpus checked is ``corpus_dir``, or with ``root`` the one the card names.
    """
    import joblib

    model_dir = Path(model_dir)
    card = read_card(model_dir)
    if corpus_dir is None and root is not None:
        corpus_dir = policy_dir_for(card, root)
    retrain = f"retrain it with `python scripts/train.py --policy {card.get('policy_id', '<id>')}`"
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"{model_dir}: model format {card.get('format_version')} is not supported; {retrain}"
        )
    here = environment()
    made = card.get("environment", {})
    mismatched = [
        f"{k} {made.get(k)} (installed: {here[k]})" for k in PINNED if made.get(k) != here[k]
    ]
    if mismatched:
        raise ModelLoadError(
            f"{model_dir}: the model was made with other versions: {', '.join(mismatched)}. "
            f"Install the pinned versions (`pip install -c constraints.txt -e .`) or {retrain}"
        )
    if corpus_dir is not None:
        clauses = Path(corpus_dir) / "clauses.jsonl"
        expected = card.get("corpus", {}).get("clauses_sha256")
        if clauses.is_file() and expected and sha256_file(clauses) != expected:
            raise ModelLoadError(
                f"{model_dir}: the model was trained on a different version of {clauses}; {retrain}"
            )
    path = model_dir / MODEL_FILE
    if not path.is_file():
        raise ModelLoadError(f"{model_dir}: {MODEL_FILE} is missing; {retrain}")
    if card.get("model_sha256") and sha256_file(path) != card["model_sha256"]:
        raise ModelLoadError(
            f"{path} is damaged or was replaced (checksum differs from the card); {retrain}"
        )
    try:
        model = joblib.load(path)
    except Exception as exc:  # a damaged pickle can raise nearly anything
        raise ModelLoadError(f"{path} cannot be loaded ({type(exc).__name__}); {retrain}") from exc
    if not isinstance(model, PolicyClassifier):
        raise ModelLoadError(f"{path} does not hold a policy classifier; {retrain}")
    return model, card


def policy_dir_for(card: dict[str, Any], root: Path) -> Path:
    """The corpus folder a model belongs to (from its card), relative to the project root."""
    corpus = card.get("corpus", {}).get("dir")
    return (root / corpus) if corpus else corpus_dir(card.get("policy_id", ""), root)
