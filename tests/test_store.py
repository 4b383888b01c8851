"""store: saving and loading models, checked against their card, in a format that cannot
run code.

A save/load round trip and each refusal on a tiny model first; then crafted folders whose
payload would write a file if anything unpickled it; then damaged or foreign copies of the
committed model, which classify must refuse with a one-line message.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier.corpus import write_corpus
from classifier.errors import ModelLoadError
from classifier.store import (
    ARRAYS_FILE,
    CARD_FILE,
    FORMAT_VERSION,
    LEGACY_FILE,
    STATE_FILE,
    _digest,
    check_card,
    environment,
    load_model,
    policy_dir_for,
    read_card,
    save_model,
)

from .helpers import (
    MODEL_DIR,
    R3_DIR,
    ROOT,
    assert_clean_outcome,
    load_committed_model,
    run_classify,
    write_csv_bytes,
)

TEXTS = ["政府機関の情報システムの監視", "大学の専門人材の教育", "", "河川の堤防"]


@pytest.fixture
def saved(tmp_path, small_model, small_policy):
    """The tiny model saved with a card naming its (built) corpus folder."""
    source = tmp_path / "policy.txt"
    source.write_bytes("方針".encode())
    corpus = tmp_path / "corpus" / "t1"
    write_corpus(small_policy, source, corpus)
    card = {
        "policy_id": "t1",
        "classes": list(small_model.classes_),
        "corpus": {
            "dir": "corpus/t1",
            "clauses_sha256": hashlib.sha256((corpus / "clauses.jsonl").read_bytes()).hexdigest(),
        },
        "parameters": {"min_confidence": 0.3, "in_scope_threshold": 0.5},
    }
    out = tmp_path / "models" / "t1"
    assert save_model(small_model, out, card) == out
    return out


def test_save_then_load_round_trip(saved, small_model, tmp_path):
    assert sorted(p.name for p in saved.iterdir()) == sorted([ARRAYS_FILE, STATE_FILE, CARD_FILE])
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    assert card["format_version"] == FORMAT_VERSION == 2
    assert card["policy_id"] == "t1" and card["parameters"]["min_confidence"] == 0.3
    assert card["environment"] == environment()
    model, loaded_card = load_model(saved, root=tmp_path)  # the corpus the card names
    assert loaded_card == card
    assert list(model.classes_) == list(small_model.classes_)
    np.testing.assert_array_equal(model.predict_proba(TEXTS), small_model.predict_proba(TEXTS))


def test_a_model_saved_before_the_plugin_settings_existed_keeps_sudachis_plugins(saved, tmp_path):
    """Models saved before a plugin setting existed were trained with Sudachi's defaults,
    the numeral joiner and the reading filter included; one saved now records that they
    are off."""
    state = json.loads((saved / STATE_FILE).read_text(encoding="utf-8"))
    model, _ = load_model(saved, root=tmp_path)
    for name in ("join_numerals", "ignore_yomigana"):
        assert state["tokenizer_settings"][name] is False
        assert getattr(model.tokenizer_.settings, name) is False
        del state["tokenizer_settings"][name]
    (saved / STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    card["model_sha256"] = _digest(
        (saved / STATE_FILE).read_bytes(), (saved / ARRAYS_FILE).read_bytes()
    )
    (saved / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    old, _ = load_model(saved, root=tmp_path)
    assert old.tokenizer_.settings.join_numerals is True
    assert old.tokenizer_.settings.ignore_yomigana is True
    np.testing.assert_array_equal(old.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_saving_twice_gives_the_same_bytes(saved, small_model, tmp_path):
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    again = tmp_path / "again"
    save_model(
        small_model, again, {k: card[k] for k in ("policy_id", "classes", "corpus", "parameters")}
    )
    for name in (ARRAYS_FILE, STATE_FILE, CARD_FILE):
        assert (again / name).read_bytes() == (saved / name).read_bytes(), name


def test_the_arrays_file_holds_plain_arrays_only(saved):
    with np.load(saved / ARRAYS_FILE, allow_pickle=False) as npz:
        kinds = {name: npz[name].dtype.kind for name in npz.files}
    assert kinds and set(kinds.values()) <= {"f", "U", "i"}, kinds  # numbers and strings


def test_environment_names_the_pinned_libraries():
    env = environment()
    for name in ("python", "sudachipy", "sudachidict-core", "numpy", "scipy"):
        assert env[name] and env[name] != "missing", name


def _edit(folder: Path, **changes: Any) -> None:
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card.update(changes)
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def test_a_card_with_other_versions_is_refused(saved, tmp_path):
    env = dict(environment(), sudachipy="0.1.0")
    _edit(saved, environment=env)
    with pytest.raises(ModelLoadError) as info:
        load_model(saved, root=tmp_path)
    message = str(info.value)
    assert f"sudachipy 0.1.0 (installed: {environment()['sudachipy']})" in message
    assert "sudachidict-core" not in message  # only what differs is named
    assert "retrain it with `python scripts/train.py --policy t1`" in message


def test_a_model_of_another_corpus_version_is_refused(saved, tmp_path):
    (tmp_path / "corpus" / "t1" / "clauses.jsonl").write_bytes(b"{}\n")  # the corpus changed
    with pytest.raises(ModelLoadError, match="trained on a different version"):
        load_model(saved, root=tmp_path)


def test_a_card_naming_a_missing_corpus_is_refused(saved, tmp_path):
    shutil.rmtree(tmp_path / "corpus")
    with pytest.raises(ModelLoadError, match=r"its corpus .* is not here"):
        load_model(saved, root=tmp_path)


def test_a_replaced_model_file_is_refused(saved, tmp_path):
    (saved / STATE_FILE).write_bytes((saved / STATE_FILE).read_bytes() + b" ")
    with pytest.raises(ModelLoadError, match="checksum differs from the card"):
        load_model(saved, root=tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("parameters", {"min_confidence": "abc", "in_scope_threshold": 0.5}, "min_confidence"),
        ("parameters", {"min_confidence": 0.3, "in_scope_threshold": 2}, "in_scope_threshold"),
        ("parameters", {"min_confidence": True, "in_scope_threshold": 0.5}, "min_confidence"),
        ("policy_id", 3, "policy_id"),
        ("classes", "(1)①", "classes"),
        ("corpus", {"dir": "", "clauses_sha256": "0" * 64}, "corpus.dir"),
        ("corpus", {"dir": "corpus/t1", "clauses_sha256": "abc"}, "corpus.clauses_sha256"),
        ("model_sha256", None, "model_sha256"),
        ("environment", {"sudachipy": 1}, "environment"),
    ],
)
def test_every_card_field_is_checked_before_use(saved, tmp_path, field, value, problem):
    _edit(saved, **{field: value})
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    assert any(problem in p for p in check_card(card))
    with pytest.raises(ModelLoadError, match="not a valid model card"):
        load_model(saved, root=tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no model in"),
        (b"{not json", "is damaged"),
        (b"\xff\xfe", "is damaged"),
        (b"[]", "not a valid model card"),
        (b'{"environment": "x"}', "not a valid model card"),
    ],
)
def test_read_card_errors(tmp_path, content, message):
    if content is not None:
        (tmp_path / CARD_FILE).write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        read_card(tmp_path)


def test_policy_dir_for(tmp_path):
    card = {"policy_id": "r4", "corpus": {"dir": "corpus/r4"}}
    assert policy_dir_for(card, tmp_path) == tmp_path / "corpus/r4"


def test_the_committed_model_belongs_to_the_committed_corpus():
    model, card = load_committed_model(str(R3_DIR))
    assert card["policy_id"] == "r3" and model.policy_id_ == "r3"
    assert list(model.classes_) == card["classes"]
    assert len(card["classes"]) == 25


# ------------------------------------------------------------- a model folder that runs code


class _Payload:
    """Unpickling this writes a file: the proof that something loaded a pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def _crafted_folder(folder: Path, marker: Path, hashed: bool | None) -> Path:
    """A copy of the committed model whose files are pickles that would write ``marker``.

    ``hashed``: True, the card's checksum rewritten to match the pickles; False, left
    as it was; None, removed from the card.
    """
    shutil.copytree(MODEL_DIR, folder)
    payload = pickle.dumps(_Payload(marker))
    for name in (LEGACY_FILE, STATE_FILE, ARRAYS_FILE):
        (folder / name).write_bytes(payload)
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    if hashed is None:
        del card["model_sha256"]
    elif hashed:
        card["model_sha256"] = hashlib.sha256(payload).hexdigest()
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "hashed", [True, False, None], ids=["hash rewritten", "hash kept", "no hash"]
)
def test_a_crafted_model_folder_never_runs_its_payload(tmp_path, hashed):
    marker = tmp_path / "pwned.txt"
    folder = _crafted_folder(tmp_path / "evil", marker, hashed)
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes([["1", "市町村の情報セキュリティ", ""]]))
    rc, err = run_classify([src, "-o", tmp_path / "o.csv", "--model", folder, "-q"])
    assert rc == 2 and "retrain" in err
    assert not marker.exists(), "the model folder ran code"


def test_a_pickle_only_folder_is_refused_with_how_to_retrain(tmp_path):
    marker = tmp_path / "pwned.txt"
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / LEGACY_FILE).write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelLoadError, match=r"old pickle format .*scripts/train\.py --policy"):
        read_card(folder)
    assert not marker.exists()


def test_object_arrays_inside_the_npz_are_never_unpickled(tmp_path):
    """An attacker who knows the format writes a pickled object array into model.npz and
    rewrites the checksum: numpy refuses it without unpickling."""
    marker = tmp_path / "pwned.txt"
    folder = tmp_path / "evil"
    shutil.copytree(MODEL_DIR, folder)
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["idf"] = np.array([_Payload(marker)], dtype=object)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=True)
            zf.writestr(f"{name}.npy", member.getvalue())
    (folder / ARRAYS_FILE).write_bytes(buf.getvalue())
    state = (folder / STATE_FILE).read_bytes()
    h = hashlib.sha256()
    for part in (state, buf.getvalue()):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    _edit(folder, model_sha256=h.hexdigest())
    with pytest.raises(ModelLoadError, match="cannot be read"):
        load_model(folder)
    assert not marker.exists()


def test_a_received_folder_in_the_working_directory_is_not_used(tmp_path):
    """``classify requests.csv`` inside a folder holding corpus/ and models/r3/ with a
    payload: the checkout's own model is used, and the payload never runs."""
    marker = tmp_path / "pwned.txt"
    received = tmp_path / "received"
    shutil.copytree(ROOT / "corpus" / "r3", received / "corpus" / "r3")
    _crafted_folder(received / "models" / "r3", marker, hashed=True)
    (received / "requests.csv").write_bytes(
        write_csv_bytes([["1", "市町村の情報セキュリティ", ""]])
    )
    env = {k: v for k, v in os.environ.items() if k != "CLASSIFIER_HOME"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "classify.py"), "requests.csv", "-q"],
        cwd=received,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (received / "requests.classified.csv").exists()
    assert not marker.exists(), "the working directory's model was loaded"


# ------------------------------------------------------------- damaged models, through classify


def _card(m: Path) -> dict:
    return json.loads((m / CARD_FILE).read_text(encoding="utf-8"))


def _put_card(m: Path, card: Any) -> None:
    (m / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def _edit_card(**changes):
    def damage(m: Path) -> None:
        card = _card(m)
        card.update(changes)
        _put_card(m, card)

    return damage


def _truncate(name: str):
    def damage(m: Path) -> None:
        (m / name).write_bytes((m / name).read_bytes()[:5000])

    return damage


def _other_versions(m: Path) -> None:
    card = _card(m)
    card["environment"]["sudachipy"] = "99.0"
    _put_card(m, card)


def _other_corpus(m: Path) -> None:
    card = _card(m)
    card["corpus"]["clauses_sha256"] = "0" * 64
    _put_card(m, card)


def _short_scope_layer(m: Path) -> None:
    # A consistent folder (its hash rewritten) whose scope layer has one weight too few.
    state = json.loads((m / STATE_FILE).read_text(encoding="utf-8"))
    state["scope"]["anchored"] = state["scope"]["anchored"][:3]
    (m / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    card = _card(m)
    card["model_sha256"] = _digest((m / STATE_FILE).read_bytes(), (m / ARRAYS_FILE).read_bytes())
    _put_card(m, card)


MODEL_DAMAGE = {
    "scope layer of the wrong length": _short_scope_layer,
    "model.npz truncated": _truncate(ARRAYS_FILE),
    "model.json truncated": _truncate(STATE_FILE),
    "model.npz missing": lambda m: (m / ARRAYS_FILE).unlink(),
    "model.json is a folder": lambda m: ((m / STATE_FILE).unlink(), (m / STATE_FILE).mkdir()),
    "card missing": lambda m: (m / CARD_FILE).unlink(),
    "card truncated": lambda m: (m / CARD_FILE).write_bytes((m / CARD_FILE).read_bytes()[:100]),
    "card not UTF-8": lambda m: (m / CARD_FILE).write_bytes(b"\xff\xfe\x00garbage"),
    "card from an older (pickle) format": _edit_card(format_version=1),
    "card from a newer format": _edit_card(format_version=3),
    "card from other library versions": _other_versions,
    "model of another corpus version": _other_corpus,
    "card is JSON null": lambda m: _put_card(m, None),
    "card is a JSON list": lambda m: _put_card(m, []),
    "card environment is not an object": _edit_card(environment="sudachi 0.7"),
    "card corpus is not an object": _edit_card(corpus=None),
    "card min_confidence is text": lambda m: _put_card(
        m, {**_card(m), "parameters": {**_card(m)["parameters"], "min_confidence": "abc"}}
    ),
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


@pytest.mark.parametrize("value", [None, 3, ["models/r3"]])
def test_load_model_of_no_path_says_what_it_takes(value):
    # (Was Path()'s own "expected str, bytes or os.PathLike object, not NoneType".)
    with pytest.raises(TypeError) as info:
        load_model(value)
    assert str(info.value) == (
        f"a model folder is a path (str or Path), not {type(value).__name__}: "
        'load_model(Path("models/r3"))'
    )


def _rehash(folder: Path) -> None:
    """Rewrite the card's checksum, as anyone sending an edited model can."""
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card["model_sha256"] = _digest(
        (folder / STATE_FILE).read_bytes(), (folder / ARRAYS_FILE).read_bytes()
    )
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def _state_edit(edit):
    def damage(folder: Path) -> None:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        edit(state)
        (folder / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")

    return damage


def _huge_lr_coef(folder: Path) -> None:
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["lr_coef"] = np.full_like(arrays["lr_coef"], 1e300)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (folder / ARRAYS_FILE).write_bytes(buf.getvalue())


EDITED_STATE = {
    "a thesaurus pair of a number and null": (
        _state_edit(lambda s: s["tokenizer_settings"]["thesaurus"].append([1, None])),
        "the thesaurus must be a list of [term, concept] pairs of text",
    ),
    "a thesaurus pair with an empty term": (
        _state_edit(lambda s: s["tokenizer_settings"]["thesaurus"].append(["", "重要インフラ"])),
        "the thesaurus must be a list of [term, concept] pairs of text",
    ),
    "a thesaurus entry that is a number": (
        _state_edit(lambda s: s["tokenizer_settings"]["thesaurus"].append(1)),
        "the thesaurus must be a list of [term, concept] pairs of text",
    ),
    "a lexicon entry of numbers": (
        _state_edit(lambda s: s["lexicon"].update({"監視": [[1, 2]]})),
        "the lexicon must give each word a list of pairs of text",
    ),
    "a calibration layer of text": (
        _state_edit(lambda s: s["label_layers"].update({"subitem": ["1"]})),
        "label_layers must give each level a list of numbers",
    ),
    "lr_coef of 1e300": (_huge_lr_coef, "lr_coef holds weights no fitted model has"),
    # Text for a switch would be read as on, silently changing the tokens.
    "a switch written as text": (
        _state_edit(lambda s: s["tokenizer_settings"].update({"join_numerals": "no"})),
        "join_numerals, ignore_yomigana, subwords, synonyms and has_examples must be true or false",
    ),
    "has_examples written as text": (
        _state_edit(lambda s: s.update({"has_examples": "no"})),
        "join_numerals, ignore_yomigana, subwords, synonyms and has_examples must be true or false",
    ),
    "a negative count of examples": (
        _state_edit(lambda s: s.update({"n_examples": -5})),
        "n_examples must be a whole number, 0 or more, and params an object",
    ),
    "a count of examples that is true": (
        _state_edit(lambda s: s.update({"n_examples": True})),
        "n_examples must be a whole number, 0 or more, and params an object",
    ),
    "a negative blend weight": (
        _state_edit(lambda s: s.update({"blend": [-1.0, 1.0, 1.0]})),
        "blend weights cannot be negative",
    ),
}


@pytest.mark.parametrize("edit", list(EDITED_STATE))
def test_an_edited_model_with_its_checksum_recomputed_is_refused_in_words(tmp_path, edit):
    """The checksum stops only accidents; a folder edited and re-hashed is refused by what
    its fields hold, in words about the field (not 'cannot unpack non-iterable int')."""
    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    damage, message = EDITED_STATE[edit]
    damage(model)
    _rehash(model)
    with pytest.raises(ModelLoadError, match=re.escape(f"the model cannot be read ({message})")):
        load_model(model, root=ROOT)


def test_a_card_json_cannot_hold_leaves_the_earlier_model_whole(saved, small_model, tmp_path):
    """The card is made before any file is written: a NaN in it (JSON has none) is an
    error, and the model already in the folder still loads."""
    before = {name: (saved / name).read_bytes() for name in (ARRAYS_FILE, STATE_FILE, CARD_FILE)}
    card = json.loads((saved / CARD_FILE).read_text(encoding="utf-8"))
    card = {k: card[k] for k in ("policy_id", "classes", "corpus", "parameters")}
    card["metrics"] = {"top1": float("nan")}
    other = copy.deepcopy(small_model)  # another model: its files differ from those saved
    other.min_similarity_ += 0.01
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        save_model(other, saved, card)
    assert {name: (saved / name).read_bytes() for name in before} == before
    load_model(saved, root=tmp_path)
