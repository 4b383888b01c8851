"""The public API of ``classifier/__init__.py``: every exported name, imported on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import classifier

from .helpers import ROOT

# Public name -> the module that defines it (the README's API table).
API = {
    "parse_policy": "classifier.policy.parse",
    "load_policy": "classifier.corpus",
    "read_clauses": "classifier.corpus",
    "Policy": "classifier.policy.types",
    "Clause": "classifier.policy.types",
    "LabelledRequest": "classifier.labels",
    "parse_labels": "classifier.labels",
    "normalize_label": "classifier.labels",
    "read_labelled": "classifier.dataset",
    "PolicyClassifier": "classifier.model",
    "Predictor": "classifier.predict",
    "Prediction": "classifier.predict",
    "load_model": "classifier.store",
    "save_model": "classifier.store",
    "Status": "classifier.vocab",
    "Level": "classifier.vocab",
    "ClassifierError": "classifier.errors",
    "WorkerError": "classifier.errors",
    "OutputFileError": "classifier.errors",
    "InputFileError": "classifier.errors",
}


@pytest.mark.parametrize("name", sorted(API))
def test_exported_name_comes_from_its_module(name):
    assert name in classifier.__all__
    assert getattr(classifier, name).__module__ == API[name]


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        classifier.nope  # noqa: B018


def test_import_is_cheap():
    """``import classifier`` loads neither numpy nor the model's libraries."""
    code = (
        "import sys, classifier; "
        "print(sorted(m for m in ('numpy', 'scipy', 'sklearn', 'sudachipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_classifying_loads_neither_scikit_learn_nor_scipy(tmp_path):
    """A classify run uses numpy and the saved arrays only: scikit-learn (imported to fit)
    brings SciPy's statistics with it, over a second of start-up on every run."""
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,市町村の情報セキュリティ対策\n", encoding="utf-8")
    code = (
        "import sys; from classifier.cli import classify_main; "
        f"assert classify_main([{str(src)!r}, '-o', {str(tmp_path / 'out.csv')!r}, '-q']) == 0; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
