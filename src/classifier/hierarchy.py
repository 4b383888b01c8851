"""The policy's hierarchy as the model's classes see it: levels and roll-ups.

A classification target is a sub-item, an item without sub-items (or with text of its
own), or an area; reporting at ``item`` or ``area`` level rolls each target up to its
ancestor at that level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .policy import Policy
from .vocab import CLAUSE_LEVELS, Level


def level_of(policy: Policy, label: str, level: str) -> str:
    """The ancestor of ``label`` (or itself) at ``level``; deeper labels roll up."""
    depth = CLAUSE_LEVELS.index(Level(level))
    c = policy.clause(label)
    while c.depth > depth and c.parent is not None:
        c = policy.clause(c.parent)
    return c.label


def rollup_matrix(
    policy: Policy, classes: Sequence[str], level: str
) -> tuple[list[str], np.ndarray]:
    """Columns at ``level`` and the 0/1 matrix that sums class probabilities into them."""
    targets = [level_of(policy, lab, level) for lab in classes]
    columns = list(dict.fromkeys(targets))
    m = np.zeros((len(classes), len(columns)))
    for i, t in enumerate(targets):
        m[i, columns.index(t)] = 1.0
    return columns, m
