"""Helpers shared by several test files: repository paths, the committed model loaded once,
a tiny hand-written policy, running classify in-process, and reading its outputs back.

The CLI contract the robustness tests check (see ``test_classify_robustness.py``) is:

* exit 0 with every input row in the output exactly once, in input order, its original
  cells first and intact, then label_1 … confidence_3, evidence_1, a valid status, labels,
  in_scope, evidence_sentence, matched_clause_text and scope_sentence; or
* exit 2 with a one-line ``error: …`` message on stderr and no output file.

In both cases no exception escapes ``classify_main`` (a user would see a traceback), the
input file is byte-for-byte unchanged, and no temporary ``*.part`` file is left behind.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import json
import re
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from openpyxl import load_workbook

from classifier.policy import Clause, Policy
from classifier.textutil import clean_text

ROOT = Path(__file__).resolve().parent.parent
R3_SOURCE = ROOT / "corpus" / "r3" / "source.txt"
R3_DIR = ROOT / "corpus" / "r3"
MODEL_DIR = ROOT / "models" / "r3"
# The columns classify appends with the default --top-k 3: the contract from the issue.
ADDED_COLUMNS = [
    "label_1",
    "heading_1",
    "confidence_1",
    "label_2",
    "heading_2",
    "confidence_2",
    "label_3",
    "heading_3",
    "confidence_3",
    "evidence_1",
    "status",
    "labels",
    "in_scope",
    "evidence_sentence",
    "matched_clause_text",
    "scope_sentence",
]
ADDED = ADDED_COLUMNS
STATUSES = ("ok", "low_confidence", "out_of_scope", "empty_text")
HEADER = ["id", "text", "memo"]

CLI_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- the committed model


@functools.cache
def load_committed_model(corpus_dir: str | None):
    """``models/r3`` as ``store.load_model`` returns it, loaded once per session per corpus
    folder (``None``: the card's corpus is not checked)."""
    from classifier.store import load_model

    return load_model(MODEL_DIR, None if corpus_dir is None else Path(corpus_dir))


def model_tokenizer():
    """The committed model's tokeniser (with its thesaurus), loaded once per session."""
    return load_committed_model(None)[0].tokenizer_


@contextlib.contextmanager
def committed_model_loaded_once():
    """Inside hypothesis properties: load the committed model once, not per CLI call.

    Only ``models/r3`` is cached; any other ``--model`` folder goes through the real loader
    (the damaged-model tests do not use this).
    """
    from classifier import store
    from classifier.commands import classify as classify_mod

    def load_model(model_dir, corpus_dir=None, root=None):
        if Path(model_dir).resolve() != MODEL_DIR.resolve():
            return store.load_model(model_dir, corpus_dir, root)
        if corpus_dir is None and root is not None:
            corpus_dir = store.policy_dir_for(store.read_card(Path(model_dir)), root)
        model, card = load_committed_model(None if corpus_dir is None else str(corpus_dir))
        return model, dict(card)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(classify_mod, "load_model", load_model)
        yield


# --------------------------------------------------------------------------- a tiny policy

SECTION = "重点化を図るべき分野"


def clause(
    label: str,
    parent: str | None,
    level: str,
    heading: str | None,
    text: str,
    path: tuple[str, ...],
    is_target: bool,
    policy_id: str = "t1",
) -> Clause:
    return Clause(policy_id, label, parent, level, "", heading, text, path, 1, 1, (1,), is_target)


def tiny_policy(policy_id: str = "t1") -> Policy:
    """Two areas; (1) has two target items, (2)① is a heading over two target sub-items.

    ::

        1 重点化を図るべき分野
          (1) 政府機関のセキュリティ      (1)① 政府機関の監視    (1)② 地方公共団体の対策
          (2) 人材育成  (2)① 人材の育成   (2)①ⅰ 大学…          (2)①ⅱ 中小企業…
    """
    area1 = (SECTION, "政府機関のセキュリティ")
    area2 = (SECTION, "人材育成")
    return Policy(
        policy_id,
        "テスト用の予算重点化方針",
        (
            clause("1", None, "section", SECTION, "", (), False, policy_id),
            clause("(1)", "1", "area", "政府機関のセキュリティ", "", (SECTION,), False, policy_id),
            clause(
                "(1)①",
                "(1)",
                "item",
                "政府機関の監視",
                "政府機関の情報システムに対する不正な通信を監視する体制を強化すること。",
                area1,
                True,
                policy_id,
            ),
            clause(
                "(1)②",
                "(1)",
                "item",
                "地方公共団体の対策",
                "地方公共団体の情報セキュリティ対策を支援し、職員の訓練を行うこと。",
                area1,
                True,
                policy_id,
            ),
            clause("(2)", "1", "area", "人材育成", "", (SECTION,), False, policy_id),
            clause(
                "(2)①",
                "(2)",
                "item",
                "人材の育成",
                "以下の点を踏まえること。",
                area2,
                False,
                policy_id,
            ),
            clause(
                "(2)①ⅰ",
                "(2)①",
                "subitem",
                None,
                "大学における専門人材の教育を充実すること。",
                (*area2, "人材の育成"),
                True,
                policy_id,
            ),
            clause(
                "(2)①ⅱ",
                "(2)①",
                "subitem",
                None,
                "中小企業の経営層に向けた研修を実施すること。",
                (*area2, "人材の育成"),
                True,
                policy_id,
            ),
        ),
    )


TINY_TARGETS = ["(1)①", "(1)②", "(2)①ⅰ", "(2)①ⅱ"]


@functools.cache
def tiny_model():
    """A clause-only model of :func:`tiny_policy`, fitted once per session (no thesaurus)."""
    from classifier.model import PolicyClassifier

    return PolicyClassifier().fit(tiny_policy(), [])


# --------------------------------------------------------------------------- running classify


def run_classify(argv: Sequence[Any]) -> tuple[int, str]:
    """Call the CLI in-process; any exception that escapes is a failure (a traceback for users)."""
    from classifier.cli import classify_main

    args = [str(a) for a in argv]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            rc = classify_main(args)
    except BaseException as exc:  # KeyboardInterrupt/SystemExit must not escape either
        tb = "".join(traceback.format_exception(exc))
        raise AssertionError(
            f"classify {args} raised {type(exc).__name__} instead of exiting with a message; "
            f"a user sees this traceback:\n{tb}\nstderr before it:\n{err.getvalue()}"
        ) from None
    stderr = err.getvalue()
    assert "Traceback" not in stderr, stderr
    return rc, stderr


def part_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


def assert_clean_outcome(rc: int, stderr: str, out: Path) -> None:
    """Exit 0 with an output file, or exit 2 with an ``error:`` line and no output file."""
    assert rc in (0, 2), f"exit code {rc}; stderr: {stderr}"
    if rc == 2:
        assert stderr.startswith("error: ") and stderr.strip(), stderr
        assert not out.exists(), "a failed run left an output file"
    else:
        assert out.is_file()
    assert not part_files(out.parent), part_files(out.parent)


def check_added(cells: Sequence[Any], *, well_formed: bool = True) -> str:
    """Check the appended prediction cells of one row; return its status."""
    assert len(cells) == len(ADDED), cells
    cells = ["" if c is None else c for c in cells]
    named = dict(zip(ADDED, cells, strict=True))
    status = named["status"]
    assert isinstance(status, str)
    if well_formed:
        assert status in STATUSES, f"a well-formed row got status {status!r}"
    else:
        assert status in STATUSES or status.startswith("error: "), status
    confidences = []
    for k in range(3):
        label, heading, conf = cells[3 * k : 3 * k + 3]
        if label == "":
            assert heading == "" and conf == "", cells
            continue
        c = float(conf)
        assert 0.0 <= c <= 1.0, cells
        confidences.append(c)
    assert confidences == sorted(confidences, reverse=True), cells
    if status == "empty_text" or status.startswith("error: "):
        assert confidences == [] and named["evidence_1"] == "", cells
        assert named["labels"] == "" and named["in_scope"] == "", cells
    if status in ("ok", "low_confidence"):
        assert confidences, cells
        # An in-scope row's predicted set holds at least label_1.
        assert named["labels"].split(";")[0] == named["label_1"] or named["label_1"] in str(
            named["labels"]
        ).split(";"), cells
    if status == "out_of_scope":
        assert named["labels"] == "", cells
    if status in STATUSES and status != "empty_text":
        assert 0.0 <= float(named["in_scope"]) <= 1.0, cells
    return status


def as_written_to_csv(value: str) -> str:
    """A cell as classify writes it to CSV: text Excel would run as a formula (starting
    with = + - @, a tab or a carriage return, and not a plain number) gets a leading '."""
    risky = value[:1] in ("=", "+", "-", "@", "\t", "\r")
    number = re.fullmatch(r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?", value)
    return "'" + value if risky and not number else value


def read_csv_output(path: Path, delimiter: str = ",") -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8), "CSV output must be UTF-8 with BOM"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def read_jsonl_output(path: Path) -> list[dict]:
    """JSON Lines are separated by \\n only (str.splitlines would also split at U+2028, U+0085)."""
    text = path.read_bytes().decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def read_xlsx_values(path: Path | io.BytesIO, sheet: str | None = None) -> list[tuple]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        return [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def expects_empty(value: Any) -> bool:
    """Whether a text cell holds no visible text (the only rows that get empty_text)."""
    return not clean_text(value).strip()


def write_csv_bytes(
    rows: Sequence[Sequence[str]],
    encoding: str = "utf-8",
    header: Sequence[str] = HEADER,
    terminators: Sequence[str] | None = None,
) -> bytes:
    buf = io.StringIO()
    for i, row in enumerate([header, *rows]):
        line = io.StringIO()
        csv.writer(line).writerow(row)  # default \r\n terminator: cells with \r or \n get quoted
        text = line.getvalue()
        assert text.endswith("\r\n")
        term = terminators[i % len(terminators)] if terminators else "\n"
        buf.write(text[:-2] + term)
    return buf.getvalue().encode(encoding)
