"""The words the tool's files and outputs are made of, each spelled once.

Statuses, hierarchy levels and the out-of-scope label appear in output files, corpus
files and analysts' sheets: they are a contract, so every module takes them from here.
``StrEnum`` members are their strings (``Status.OK == "ok"``), so they write and compare
as plain text.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The ``status`` of a classified row (``error: <reason>`` is built by :func:`error_status`)."""

    OK = "ok"
    LOW_CONFIDENCE = "low_confidence"
    OUT_OF_SCOPE = "out_of_scope"
    EMPTY_TEXT = "empty_text"
    ERROR = "error"


def error_status(reason: str) -> str:
    """The status of a row that could not be processed: ``error: <reason>``."""
    return f"{Status.ERROR}: {reason}"


def status_kind(status: str) -> str:
    """``error: …`` → ``error``; any other status is its own kind (for counting)."""
    return status.split(":", 1)[0]


class Level(StrEnum):
    """Where a clause sits in the policy; classification and roll-up use the lower three."""

    PREAMBLE = "preamble"
    SECTION = "section"
    AREA = "area"
    ITEM = "item"
    SUBITEM = "subitem"


class Scope(StrEnum):
    """An annotator's verdict on a review-sheet programme (corpus/labelled/README.md)."""

    IN = "IN"  # cybersecurity is its purpose or a named, substantial component
    OUT = "OUT"
    BORDER = "BORDER"  # security mentioned only in passing: left out of scope figures


class CVGroups(StrEnum):
    """What the scope model's cross-validation keeps in one fold (``train --cv-groups``)."""

    PROGRAMME = "programme"  # a programme and the sentences taken from it
    MINISTRY = "ministry"  # every text of one ministry: how it does on a ministry unseen


# Nesting order of numbered clauses: depth 0 is a section, 3 a sub-item.
CLAUSE_LEVELS = (Level.SECTION, Level.AREA, Level.ITEM, Level.SUBITEM)
# What ``--level`` accepts: report sub-items as they are, or roll up to items or areas.
ROLLUP_LEVELS = (Level.SUBITEM, Level.ITEM, Level.AREA)

# The label analysts write for "supports no item" (out of scope).
OUT_OF_SCOPE_LABEL = "NONE"

# The review sheet's columns an analyst fills in, and the policy its labels belong to
# (train carries them over a crosswalk when it trains another version).
REVIEW_LABEL_COLUMN = "accepted_label"
REVIEW_COMMENT_COLUMN = "comment"
REVIEW_POLICY_COLUMN = "policy"

# Columns every classified file has, whatever --top-k: how an earlier output is recognised
# (never replaced by accident, never mistaken for labelled data).
OUTPUT_MARK_COLUMNS = ("label_1", "status")
