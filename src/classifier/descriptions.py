"""Policy targets → the texts that describe them, as the model learns from them.

A target is described by its own text, its heading and the headings above it (the
section heading is the same for every target and says nothing), and the summary-slide
bullets mapped to it.
"""

from __future__ import annotations

import re

from .policy import Policy

_SENTENCES = re.compile(r"(?<=[。\n])")


def clause_descriptions(policy: Policy) -> dict[str, list[str]]:
    """Per target label: the texts that describe it (heading, path, own text, slide bullets)."""
    out: dict[str, list[str]] = {}
    for c in policy.targets:
        parts = [h for h in c.path[1:]]  # the section heading is the same for every target
        if c.heading:
            parts.append(c.heading)
        parts.append(c.text)
        out[c.label] = parts
    for s in policy.summary:
        if s.kind != "bullet":
            continue
        for label in s.labels:
            if label in out:
                out[label].append(s.text)
    return out


def clause_sentences(policy: Policy) -> list[tuple[str, str]]:
    """``(label, sentence)`` for every sentence of every target's description."""
    pairs = []
    for label, parts in clause_descriptions(policy).items():
        for part in parts:
            for sentence in _SENTENCES.split(part):
                if len(sentence.strip()) >= 6:
                    pairs.append((label, sentence.strip()))
    return pairs


def evidence_sentences(policy: Policy) -> list[tuple[str, str]]:
    """``(label, sentence)`` of each target's own policy text and of the summary-slide
    bullets mapped to it: what a request can be shown to have matched."""
    pairs = []
    for c in policy.targets:
        for sentence in _SENTENCES.split(c.text):
            if len(sentence.strip()) >= 6:
                pairs.append((c.label, sentence.strip()))
    for s in policy.summary:
        if s.kind == "bullet":
            pairs += [(label, s.text) for label in s.labels if label in set(policy.labels)]
    return pairs
