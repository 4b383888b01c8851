"""store: saving and loading models, checked against their card.

A save/load round trip and each refusal on a tiny model first; then damaged or foreign
copies of the committed model, which classify must refuse with a one-line message.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifier.errors import ModelLoadError
from classifier.store import (
    CARD_FILE,
    FORMAT_VERSION,
    MODEL_FILE,
    environment,
    load_model,
    policy_dir_for,
    read_card,
    save_model,
)

from .helpers import (
    MODEL_DIR,
    R3_DIR,
    assert_clean_outcome,
    load_committed_model,
    run_classify,
    write_csv_bytes,
)

TEXTS = ["政府機関の情報システムの監視", "大学の専門人材の教育", "", "河川の堤防"]


@pytest.fixture
def saved(tmp_path, small_model):
    """The tiny model saved with a card naming a corpus folder."""
    corpus = tmp_path / "corpus" / "t1"
    corpus.mkdir(parents=True)
    (corpus / "clauses.jsonl").write_bytes(b'{"label": "(1)\\u2460"}\n')
    card = {
        "policy_id": "t1",
        "corpus": {
            "dir": "corpus/t1",
            "clauses_sha256": hashlib.sha256(b'{"label": "(1)\\u2460"}\n').hexdigest(),
        },
        "parameters": {"min_confidence": 0.3},
    }
    out = tmp_path / "models" / "t1"
    path = save_model(small_model, out, card)
    assert path == out / MODEL_FILE
    return out


def test_save_then_load_round_trip(saved, small_model, tmp_path):
    assert sorted(p.name for p in saved.iterdir()) == [MODEL_FILE, CARD_FILE]
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    assert card["format_version"] == FORMAT_VERSION == 1
    assert card["policy_id"] == "t1" and card["parameters"] == {"min_confidence": 0.3}
    assert card["model_sha256"] == hashlib.sha256((saved / MODEL_FILE).read_bytes()).hexdigest()
    assert card["environment"] == environment()
    model, loaded_card = load_model(saved, root=tmp_path)  # the corpus the card names
    assert loaded_card == card
    assert list(model.classes_) == list(small_model.classes_)
    assert (model.predict_proba(TEXTS) == small_model.predict_proba(TEXTS)).all()


def test_environment_names_the_pinned_libraries():
    env = environment()
    for name in ("python", "scikit-learn", "sudachipy", "sudachidict-core", "numpy", "scipy"):
        assert env[name] and env[name] != "missing", name


def _edit(folder: Path, **changes: Any) -> None:
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card.update(changes)
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def test_a_card_with_other_versions_is_refused(saved):
    env = dict(environment(), **{"scikit-learn": "0.1.0"})
    _edit(saved, environment=env)
    with pytest.raises(ModelLoadError) as info:
        load_model(saved)
    message = str(info.value)
    assert f"scikit-learn 0.1.0 (installed: {environment()['scikit-learn']})" in message
    assert "sudachipy" not in message  # only what differs is named
    assert "retrain it with `python scripts/train.py --policy t1`" in message


def test_a_card_of_another_format_is_refused(saved):
    _edit(saved, format_version=2)
    with pytest.raises(ModelLoadError, match="model format 2 is not supported"):
        load_model(saved)


def test_a_model_of_another_corpus_version_is_refused(saved, tmp_path):
    (tmp_path / "corpus" / "t1" / "clauses.jsonl").write_bytes(b"{}\n")  # the corpus changed
    with pytest.raises(ModelLoadError, match="trained on a different version"):
        load_model(saved, root=tmp_path)
    with pytest.raises(ModelLoadError, match="trained on a different version"):
        load_model(saved, tmp_path / "corpus" / "t1")
    model, _ = load_model(saved)  # without a corpus to check against, it loads
    assert list(model.classes_) == ["(1)①", "(1)②", "(2)①ⅰ", "(2)①ⅱ"]


def test_a_replaced_model_file_is_refused(saved, small_model):
    (saved / MODEL_FILE).write_bytes((saved / MODEL_FILE).read_bytes() + b"\0")
    with pytest.raises(ModelLoadError, match="checksum differs from the card"):
        load_model(saved)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no model in"),
        (b"{not json", "is damaged"),
        (b"\xff\xfe", "is damaged"),
        (b"[]", "is not a model card"),
        (b'{"environment": "x"}', "is not a model card"),
    ],
)
def test_read_card_errors(tmp_path, content, message):
    if content is not None:
        (tmp_path / CARD_FILE).write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        read_card(tmp_path)


def test_policy_dir_for(tmp_path):
    assert policy_dir_for({"corpus": {"dir": "corpus/r4"}}, tmp_path) == tmp_path / "corpus/r4"
    assert policy_dir_for({"policy_id": "r5"}, tmp_path) == tmp_path / "corpus" / "r5"


def test_the_committed_model_belongs_to_the_committed_corpus():
    model, card = load_committed_model(str(R3_DIR))
    assert card["policy_id"] == "r3" and model.policy_id_ == "r3"
    assert list(model.classes_) == card["classes"]
    assert len(card["classes"]) == 25


# ------------------------------------------------------------- damaged models, through classify


def _card(m: Path) -> dict:
    return json.loads((m / "model_card.json").read_text(encoding="utf-8"))


def _put_card(m: Path, card: Any) -> None:
    (m / "model_card.json").write_text(json.dumps(card), encoding="utf-8")


def _edit_card(**changes):
    def damage(m: Path) -> None:
        card = _card(m)
        card.update(changes)
        _put_card(m, card)

    return damage


def _truncate_joblib_keep_sha(m: Path) -> None:
    (m / "model.joblib").write_bytes((m / "model.joblib").read_bytes()[:5000])


def _truncate_joblib_drop_sha(m: Path) -> None:
    card = _card(m)
    del card["model_sha256"]
    _put_card(m, card)
    (m / "model.joblib").write_bytes((m / "model.joblib").read_bytes()[:5000])


def _other_pickle(m: Path) -> None:
    import joblib

    buf = io.BytesIO()
    joblib.dump({"not": "a model"}, buf)
    (m / "model.joblib").write_bytes(buf.getvalue())
    _edit_card(model_sha256=hashlib.sha256(buf.getvalue()).hexdigest())(m)


def _other_versions(m: Path) -> None:
    card = _card(m)
    card["environment"]["scikit-learn"] = "0.1.0"
    card["environment"]["sudachipy"] = "99.0"
    _put_card(m, card)


def _other_corpus(m: Path) -> None:
    card = _card(m)
    card["corpus"]["clauses_sha256"] = "0" * 64
    _put_card(m, card)


MODEL_DAMAGE = {
    "model.joblib truncated": _truncate_joblib_keep_sha,
    "model.joblib truncated, card without checksum": _truncate_joblib_drop_sha,
    "model.joblib empty, card without checksum": lambda m: (
        _truncate_joblib_drop_sha(m),
        (m / "model.joblib").write_bytes(b""),
    ),
    "model.joblib holds another object": _other_pickle,
    "model.joblib missing": lambda m: (m / "model.joblib").unlink(),
    "model.joblib is a folder": lambda m: (
        (m / "model.joblib").unlink(),
        (m / "model.joblib").mkdir(),
    ),
    "card missing": lambda m: (m / "model_card.json").unlink(),
    "card truncated": lambda m: (m / "model_card.json").write_bytes(
        (m / "model_card.json").read_bytes()[:100]
    ),
    "card not UTF-8": lambda m: (m / "model_card.json").write_bytes(b"\xff\xfe\x00garbage"),
    "card from a newer format": _edit_card(format_version=2),
    "card from other library versions": _other_versions,
    "model of another corpus version": _other_corpus,
    "card is JSON null": lambda m: _put_card(m, None),
    "card is a JSON list": lambda m: _put_card(m, []),
    "card environment is not an object": _edit_card(environment="sklearn 1.4"),
    "card corpus is not an object": _edit_card(corpus=None),
}


@pytest.mark.parametrize("damage", list(MODEL_DAMAGE))
def test_damaged_or_foreign_model_fails_with_message(tmp_path, damage):
    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    MODEL_DAMAGE[damage](model)
    src = tmp_path / "in.csv"
    data = write_csv_bytes([["1", "市町村の情報セキュリティ", ""]])
    src.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.csv"
    rc, err = run_classify([src, "-o", out, "--model", model, "-q"])
    assert src.read_bytes() == data
    assert_clean_outcome(rc, err, out)
    assert rc == 2
    assert list(out_dir.iterdir()) == []


def test_model_path_is_a_file(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes([["1", "市町村", ""]]))
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--model", src, "-q"])
    assert_clean_outcome(rc, err, out)
    assert rc == 2
