"""vocab: statuses, levels and the out-of-scope label are exactly the strings in the files."""

from __future__ import annotations

import csv
import io

from classifier.vocab import (
    CLAUSE_LEVELS,
    OUT_OF_SCOPE_LABEL,
    ROLLUP_LEVELS,
    Level,
    Status,
    error_status,
    status_kind,
)


def test_status_values_are_the_output_strings():
    assert [s.value for s in Status] == [
        "ok",
        "low_confidence",
        "out_of_scope",
        "empty_text",
        "error",
    ]
    assert Status.OK == "ok" and Status.OUT_OF_SCOPE == "out_of_scope"
    assert isinstance(Status.EMPTY_TEXT, str)


def test_statuses_write_as_plain_text():
    buf = io.StringIO()
    csv.writer(buf).writerow([Status.LOW_CONFIDENCE, Level.ITEM])
    assert buf.getvalue() == "low_confidence,item\r\n"
    assert f"{Status.OK}" == "ok" and str(Level.AREA) == "area"


def test_error_status():
    assert error_status("row has 5 fields but the header has 3") == (
        "error: row has 5 fields but the header has 3"
    )
    assert error_status("") == "error: "


def test_status_kind():
    assert status_kind("error: not valid JSON (Expecting value: line 1)") == "error"
    assert status_kind("ok") == "ok"
    assert status_kind("out_of_scope") == "out_of_scope"


def test_levels():
    assert [lv.value for lv in Level] == ["preamble", "section", "area", "item", "subitem"]
    assert CLAUSE_LEVELS == ("section", "area", "item", "subitem")  # depth 0 … 3
    assert ROLLUP_LEVELS == ("subitem", "item", "area")  # what --level accepts
    assert Level("subitem") is Level.SUBITEM


def test_out_of_scope_label():
    assert OUT_OF_SCOPE_LABEL == "NONE"
