"""errors: every deliberate error is a ClassifierError and also the built-in callers expect."""

from __future__ import annotations

import pytest

from classifier.errors import (
    ClassifierError,
    InputFileError,
    LabelError,
    ModelLoadError,
    PolicyParseError,
    WorkerError,
)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (PolicyParseError, ValueError),
        (InputFileError, ValueError),
        (ModelLoadError, ValueError),
        (LabelError, ValueError),
        (WorkerError, RuntimeError),
    ],
)
def test_each_error_is_a_classifier_error_and_a_builtin(cls, builtin):
    assert issubclass(cls, ClassifierError) and issubclass(cls, builtin)
    with pytest.raises(builtin, match="the message"):
        raise cls("the message")


def test_the_base_class_is_not_a_value_error():
    assert not issubclass(ClassifierError, ValueError | RuntimeError)
