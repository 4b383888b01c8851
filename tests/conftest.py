"""Shared fixtures: the real policy, the committed model and a tiny clause-only model.

Constants and helper functions live in :mod:`tests.helpers`.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI passes or fails on the code
# alone; HYPOTHESIS_PROFILE=explore draws new ones (run it when changing a reader or
# writer). Loaded before tests.helpers builds its settings, which inherit from it.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from .helpers import R3_DIR, R3_SOURCE, load_committed_model, tiny_model, tiny_policy  # noqa: E402


@pytest.fixture(scope="session")
def r3_text() -> str:
    return R3_SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def r3_policy():
    from classifier.corpus import load_policy

    policy, warnings = load_policy(R3_SOURCE, "r3", R3_DIR / "summary_map.csv")
    assert warnings == []
    return policy


@pytest.fixture(scope="session")
def committed():
    """``(model, card)`` of ``models/r3``, loaded once per session (do not modify)."""
    return load_committed_model(None)


@pytest.fixture(scope="session")
def small_policy():
    """The hand-written policy of :func:`tests.helpers.tiny_policy`."""
    return tiny_policy()


@pytest.fixture(scope="session")
def small_model():
    """A clause-only model of :func:`tests.helpers.tiny_policy`, fitted once (do not modify)."""
    return tiny_model()
