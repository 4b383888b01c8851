"""model_checks: a model folder whose card and checksum are in order (anyone sending one can
recompute them) is still refused at load, with one message, when its numbers are not a
model's or it cannot score a text; the committed model passes."""

from __future__ import annotations

import io
import json
import math
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from classifier import model_checks
from classifier.errors import ModelLoadError
from classifier.store import ARRAYS_FILE, CARD_FILE, STATE_FILE, _digest, load_model

from .helpers import MODEL_DIR, ROOT


def _tampered(
    tmp_path: Path,
    state: Callable[[dict], None] | None = None,
    arrays: Callable[[dict[str, np.ndarray]], None] | None = None,
) -> Path:
    """A copy of the committed model, edited, with its checksum recomputed to match."""
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder)
    st = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    if state:
        state(st)
    state_bytes = json.dumps(st, ensure_ascii=False).encode()
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as npz:
        arr = {k: npz[k] for k in npz.files}
    if arrays:
        arrays(arr)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arr)
    array_bytes = buf.getvalue()
    (folder / STATE_FILE).write_bytes(state_bytes)
    (folder / ARRAYS_FILE).write_bytes(array_bytes)
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card["model_sha256"] = _digest(state_bytes, array_bytes)
    (folder / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    return folder


def _set(path: str, value):
    def edit(st: dict) -> None:
        *parents, last = path.split(".")
        node = st
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def test_an_untampered_copy_loads(tmp_path):
    model, _ = load_model(_tampered(tmp_path), root=ROOT)
    assert len(model.classes_) == 25


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set("params.in_scope_threshold", 5.0), "in_scope_threshold must be a number between"),
        (_set("blend", [1.0, float("nan"), 2.0]), "blend holds values that are not finite"),
        (_set("blend", [1.0, 1e300, 2.0]), "blend holds weights no fitted model has"),
        (_set("blend", [1.0]), "blend has 1 weights, not 3"),
        (_set("label_layers", {}), "has no calibration layers"),
        (_set("label_layers.area", [1.0]), "label_layers.area has 1 values"),
        (lambda st: st["label_layers"].pop("area"), "has no layer for the level.s. area"),
        (_set("scope.anchored", [1.0, float("inf"), 0.0, 0.0, 0.0]), "scope.anchored holds"),
        (_set("scope.max_chars", -1.0), "scope.max_chars must be a positive length"),
        (_set("scope.anchored_max_chars", 0.0), "scope.anchored_max_chars must be a positive"),
        (_set("tokenizer_settings.dictionary", "small"), "dictionary 'small' and mode 'C'"),
        (_set("tokenizer_settings.dictionary", "/etc/hostname"), "the pinned core dictionary"),
        (_set("tokenizer_settings.mode", "Z"), "mode 'Z'; a model uses"),
    ],
)
def test_a_model_state_that_is_no_model_is_refused_at_load(tmp_path, edit, message):
    with pytest.raises(ModelLoadError, match=message) as err:
        load_model(_tampered(tmp_path, state=edit), root=ROOT)
    assert "retrain" in str(err.value)


def test_a_model_saved_before_the_anchored_cap_loads_without_it(tmp_path):
    """A folder from before the anchored layer's length cap has no such entry: its layer
    was fitted on uncapped lengths, so it is loaded uncapped, not refused."""

    def drop(st: dict) -> None:
        del st["scope"]["anchored_max_chars"]

    model, _ = load_model(_tampered(tmp_path, state=drop), root=ROOT)
    assert math.isinf(model.scope_.anchored_max_chars)
    assert 1000 < model.scope_.max_chars < math.inf


def test_a_model_naming_another_dictionary_never_imports_it(tmp_path):
    """Sudachi imports ``sudachidict_<name>``: a received folder holding that package and
    a model naming it, run from inside the folder, must not run the package."""
    import os
    import subprocess
    import sys

    folder = _tampered(tmp_path, state=_set("tokenizer_settings.dictionary", "planted"))
    marker = tmp_path / "ran"
    package = folder / "sudachidict_planted"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (folder / "r.csv").write_text("事業名\n情報システムのセキュリティ対策\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "classifier", "classify", "r.csv", "--model", ".", "-o", "o.csv"],
        cwd=folder,
        env={**os.environ, "CLASSIFIER_HOME": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "the pinned core dictionary" in done.stderr
    assert not marker.exists()


def test_python_m_never_imports_a_dependency_from_the_working_folder(tmp_path):
    """``python -m`` puts the working folder on the import path: a package there named like
    a dependency (here the dictionary package) must not be the one imported."""
    import os
    import subprocess
    import sys

    marker = tmp_path / "ran"
    package = tmp_path / "sudachidict_core"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (tmp_path / "r.csv").write_text("事業名,事業概要\nA,情報システムの監視\n", encoding="utf-8")
    command = ["classify", "r.csv", "-o", "o.csv", "--model", str(MODEL_DIR)]
    done = subprocess.run(
        [sys.executable, "-m", "classifier", *command],
        cwd=tmp_path,
        env={**os.environ, "CLASSIFIER_HOME": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


def _nan_idf(a):
    a["idf"] = a["idf"].copy()
    a["idf"][3] = np.nan


def _short_gram_coef(a):
    a["gram_coef"] = a["gram_coef"][:2]


def _short(name: str, by: int) -> Callable[[dict[str, np.ndarray]], None]:
    return lambda a: a.update({name: a[name][:-by]})


def _int_feature_names(a):
    a["feature_names"] = np.arange(len(a["feature_names"]))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_nan_idf, "idf holds values that are not finite"),
        (_short_gram_coef, r"gram_coef has shape \(2,\), not \(\d+,\) \(gram_names\)"),
        (_int_feature_names, "feature_names is not text"),
        # Short by a few words: the fixed text scored at load never meets them, rows did.
        (_short("idf", 5), r"idf has shape \(\d+,\), not \(\d+,\) \(feature_names\)"),
        (_short("word_coef", 5), r"word_coef has shape \(\d+,\), not \(\d+,\)"),
        (_short("lr_intercept", 1), r"lr_intercept has shape \(24,\), not \(25,\) \(classes\)"),
        (
            lambda a: a.update(lr_coef=a["lr_coef"][:, :-5]),
            r"lr_coef has shape \(25, \d+\), not \(25, \d+\) \(classes x feature_names\)",
        ),
    ],
)
def test_arrays_that_are_no_model_are_refused_at_load(tmp_path, edit, message):
    with pytest.raises(ModelLoadError, match=message):
        load_model(_tampered(tmp_path, arrays=edit), root=ROOT)


def test_an_archive_bigger_than_a_model_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    folder = _tampered(tmp_path)
    with zipfile.ZipFile(folder / ARRAYS_FILE) as zf:
        size = sum(i.file_size for i in zf.infolist())
    monkeypatch.setattr(model_checks, "_MAX_ARRAY_BYTES", size - 1)
    with pytest.raises(ModelLoadError, match=f"would unpack to {size:,} bytes"):
        load_model(folder, root=ROOT)


def _card(folder: Path, **changes) -> Path:
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card.update(changes)
    (folder / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"policy_id": "r9"}, r"name different policies \(r9, r3, r3\)"),
        ({"policy_id": "../../etc"}, "policy_id must be a policy version name"),
        ({"classes": ["(9)"]}, "the card's classes are not the model's"),
    ],
)
def test_a_card_that_does_not_describe_its_model_is_refused(tmp_path, changes, message):
    with pytest.raises(ModelLoadError, match=message) as err:
        load_model(_card(_tampered(tmp_path), **changes), root=ROOT)
    assert "../" not in str(err.value).split("retrain")[-1]  # no hostile id in the command


def test_a_model_json_naming_another_policy_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match=r"name different policies \(r3, r9, r3\)"):
        load_model(_tampered(tmp_path, state=_set("policy_id", "r9")), root=ROOT)


def test_loading_from_inside_a_received_folder_imports_nothing_from_it(tmp_path):
    """In a REPL, ``python -c`` or Jupyter the working folder of the moment is on the import
    path: a model folder someone sent, entered after ``import classifier``, may hold packages
    named like the ones loading and predicting import (Sudachi, its dictionary, daachorse).
    They were imported on first use, from that folder; now with the package."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "received"
    shutil.copytree(MODEL_DIR, folder)
    markers = []
    for name in ("sudachipy", "sudachidict_core", "daachorse"):
        marker = tmp_path / f"ran_{name}"
        markers.append(marker)
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    script = (
        "import os, sys, classifier\n"
        f"os.chdir({str(folder)!r})\n"
        "model, _ = classifier.load_model('.')\n"
        "predictor = classifier.Predictor(model, model.policy_)\n"
        "print(predictor.predict(['政府機関の監視'])[0].labels[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,  # a folder of the user's own; '' on the path follows os.chdir
        env={**os.environ, "CLASSIFIER_HOME": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("(")
    assert [m.name for m in markers if m.exists()] == []
    # Started inside the folder, as `cd received; python -c ...` does.
    started_inside = script.replace(f"os.chdir({str(folder)!r})\n", "")
    done = subprocess.run(
        [sys.executable, "-c", started_inside],
        cwd=folder,
        env={**os.environ, "CLASSIFIER_HOME": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert [m.name for m in markers if m.exists()] == []
