"""training: fit a model for a policy and build its card (clause-only, on a tiny corpus)."""

from __future__ import annotations

import hashlib

import pytest

from classifier.corpus import write_corpus
from classifier.labels import LabelledRequest
from classifier.training import score_requests, train

LABELLED = [
    LabelledRequest("d1", "政府機関の監視を強化する", ("(1)①",), split="dev"),
    LabelledRequest("t1", "政府機関の情報システムの監視", ("(1)①",), split="test"),
    LabelledRequest("t2", "地方公共団体の職員の訓練", ("(1)②", "(1)①"), split="test"),
    LabelledRequest("t3", "河川の堤防を改修する", (), split="test"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_policy):
    root = tmp_path_factory.mktemp("project")
    source = root / "policy.txt"
    source.write_bytes("方針".encode())
    corpus = root / "corpus" / "t1"
    write_corpus(small_policy, source, corpus)
    labelled = root / "labelled.csv"
    labelled.write_bytes(b"id,text,labels\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLASSIFIER_HOME", str(root))  # card paths are relative to the project root
        result = train(small_policy, corpus, LABELLED, [labelled], None, 0.3, clause_only=True)
    return root, result


def test_the_card_describes_the_model(trained):
    root, result = trained
    card = result.card
    assert card["policy_id"] == "t1" and card["policy_title"] == "テスト用の予算重点化方針"
    assert card["classes"] == ["(1)①", "(1)②", "(2)①ⅰ", "(2)①ⅱ"]
    assert card["classes"] == list(result.model.classes_)
    clauses = (root / "corpus" / "t1" / "clauses.jsonl").read_bytes()
    assert card["corpus"]["dir"] == "corpus/t1"  # portable: relative to the project root
    assert card["corpus"]["clauses_sha256"] == hashlib.sha256(clauses).hexdigest()
    assert card["corpus"]["source_sha256"] == hashlib.sha256("方針".encode()).hexdigest()
    assert card["labelled"]["files"] == {
        "labelled.csv": hashlib.sha256(b"id,text,labels\n").hexdigest()
    }
    assert (card["labelled"]["n_dev"], card["labelled"]["n_test"]) == (1, 3)
    assert card["labelled"]["n_used_for_training"] == 0  # clause-only
    assert card["thesaurus"] == {"file": None, "sha256": None, "n_terms": 0}
    params = card["parameters"]
    assert params["clause_only"] is True and params["min_confidence"] == 0.3
    assert params["blend_weights"] == {"proto": 0.0, "centroid": 28.0, "lr": 0.0}
    assert params["tokenizer"]["mode"] == "C" and "thesaurus" not in params["tokenizer"]


def test_the_card_measures_the_test_split_only(trained):
    _, result = trained
    metrics = result.card["metrics"]
    assert set(metrics) == {"test"}  # no cross-validation and no baseline for clause-only
    # Figures per labelled source (a file of short requests, annotated review sheets, …).
    test = metrics["test"][""]
    assert (test["n"], test["n_in_scope"], test["n_out_of_scope"]) == (3, 2, 1)
    # t1 names the monitoring item outright; t2's primary label is (1)②, but (1)① is a gold
    # label too, so either prediction is a hit.
    assert test["top1"] == 1.0
    assert set(test["out_of_scope"]) == {
        "recall",
        "precision",
        "in_scope_flagged_out",
        "in_scope_flagged_any",
    }
    assert all(isinstance(v, float) for v in test["out_of_scope"].values() if v is not None)


def test_score_requests_ranks_every_class(trained, small_policy):
    _, result = trained
    rows = score_requests(result.model, small_policy, LABELLED[1:3], 0.3)
    assert [r.id for r in rows] == ["t1", "t2"]
    assert [r.gold for r in rows] == [("(1)①",), ("(1)②", "(1)①")]
    assert all(len(r.prediction.labels) == 4 for r in rows)  # top-k = every class
    assert rows[0].prediction.labels[0] == "(1)①"
