"""Shared set-up for the exploration notebooks: find the project, draw Japanese text.

matplotlib is a development dependency; it is imported only when a figure is wanted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import ClassifierError, InputFileError
from .paths import labelled_requests
from .paths import project_root as find_root
from .textutil import plural
from .vocab import Scope

__all__ = [
    "EvaluateCheck",
    "NotebookInputs",
    "check_with_evaluate",
    "figure_dir",
    "find_root",
    "left_out_border",
    "notebook_inputs",
    "requested_yen",
    "same_rows",
    "use_japanese_font",
]


@dataclass(frozen=True)
class NotebookInputs:
    """What a notebook explores: a labelled file, a model, the gold column and a split,
    and where the programmes' amounts come from."""

    labelled: Path
    model: Path
    gold_column: str  # accepted_label in a review sheet, else labels, unless named
    split: str | None  # None: every row
    # A 2-1 budget file to take each programme's 要求額 from by 予算事業ID; None: the
    # labelled file's own 要求額 column (百万円), where it has one.
    budget: Path | None = None


T = TypeVar("T")


def notebook_inputs(
    labelled: str | None = None,
    model: str | None = None,
    gold_column: str | None = None,
    split: str | None = "test",
    budget: str | None = None,
) -> NotebookInputs:
    """The notebook's inputs: its parameters cell's values, else the environment variables
    ``NOTEBOOK_LABELLED``, ``NOTEBOOK_MODEL``, ``NOTEBOOK_GOLD_COLUMN``,
    ``NOTEBOOK_SPLIT`` (``all`` for every row) and ``NOTEBOOK_BUDGET``, else the bundled
    requests and models/r3 (and no budget file)."""
    root = find_root()
    labelled = labelled or os.environ.get("NOTEBOOK_LABELLED")
    model = model or os.environ.get("NOTEBOOK_MODEL")
    budget = budget or os.environ.get("NOTEBOOK_BUDGET")
    split = os.environ.get("NOTEBOOK_SPLIT", split)
    from .dataset import is_review_sheet
    from .vocab import REVIEW_LABEL_COLUMN

    path = _from_root(labelled, root) if labelled else labelled_requests(root)
    gold = gold_column or os.environ.get("NOTEBOOK_GOLD_COLUMN")
    if not gold:
        gold = REVIEW_LABEL_COLUMN if is_review_sheet(path) else "labels"
    return NotebookInputs(
        path,
        _from_root(model, root) if model else root / "models" / "r3",
        gold,
        None if split in (None, "", "all") else split,
        _from_root(budget, root) if budget else None,
    )


def requested_yen(ids: Sequence[str], path: Path) -> tuple[dict[str, int | None], tuple[str, ...]]:
    """Each labelled programme's 翌年度要求額（合計） in yen from a 2-1 budget file, by
    予算事業ID (matched as numbers, as ``classify --budget`` matches them), and notes on
    the ones left unknown.

    A labelled file keeps no 事業年度 (one year's download), so a programme is joined to
    its one year in the 2-1 file; one listed for several years is left unknown rather
    than guessed, as is one the file lacks or gives no amount for.
    """
    from .sources.rs import programme_key, read_budgets

    budgets = read_budgets(path)
    years: dict[str, list[int | None]] = {}
    for (ident, _year), amounts in budgets.amounts.items():
        years.setdefault(ident, []).append(amounts.request)
    found: dict[str, int | None] = {}
    absent, several, blank = [], [], []
    for ident in dict.fromkeys(ids):  # a programme repeated in the file is one
        requests = years.get(programme_key(ident), [])
        found[ident] = requests[0] if len(requests) == 1 else None
        if not requests:
            absent.append(ident)
        elif len(requests) > 1:
            several.append(ident)
        elif requests[0] is None:
            blank.append(ident)
    notes = [
        f"note: 要求額 unknown for {plural(len(group), 'programme')} of {len(found)}, "
        f"{why} {path.name} (予算事業ID {', '.join(group[:3])}{' …' if len(group) > 3 else ''})"
        for group, why in (
            (absent, "not in"),
            (several, "with amounts for several years in"),
            (blank, "without a 翌年度要求額 in"),
        )
        if group
    ]
    return found, tuple(notes)


@dataclass(frozen=True)
class EvaluateCheck:
    """What the evaluate command says about the notebook's inputs."""

    said: tuple[str, ...]  # its warnings and notes (rows left out, figures not held out …)
    report: dict[str, Any]  # its --report


def check_with_evaluate(inputs: NotebookInputs, misclassified: Path | None = None) -> EvaluateCheck:
    """Run the evaluate command on the notebook's inputs before the notebook reads them.

    Its refusals become the notebook's (a classified file given as the labelled one would
    score the model against its own predictions; another policy's labels would be read
    as this policy's), and its warnings are shown with the figures. ``misclassified``:
    where evaluate writes its misclassified rows (a new file; the notebook compares them).
    """
    if inputs.split is not None and not _has_split_column(inputs.labelled):
        raise InputFileError(
            f"{inputs.labelled} has no split column, so no row is in split {inputs.split!r}: "
            "set SPLIT in the parameters cell (or NOTEBOOK_SPLIT) to 'all'"
        )
    from .commands.evaluate import evaluate

    said = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="notebook-evaluate-") as tmp:
        report = Path(tmp) / "report.json"
        try:
            # Its figures (stdout) are the notebook's to show; its warnings are kept.
            with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
                evaluate(
                    str(inputs.labelled),
                    inputs.gold_column,
                    model=str(inputs.model),
                    report=report,
                    misclassified=misclassified,
                    split=inputs.split,
                )
        except ClassifierError as exc:
            raise InputFileError(f"evaluate refuses these inputs: {exc}") from None
        figures = json.loads(report.read_text(encoding="utf-8"))
    lines = [line for line in said.getvalue().splitlines() if line.startswith(("warning", "note"))]
    return EvaluateCheck(tuple(lines), figures)


def same_rows(n_read: int, check: EvaluateCheck) -> None:
    """Refuse figures over other rows than evaluate scored (a guard against the notebook
    drifting from the command's reading of the file)."""
    if n_read != check.report["n"]:
        raise InputFileError(
            f"the notebook read {n_read} labelled rows where evaluate scores "
            f"{check.report['n']}: a bug in the notebook's reading, please report it"
        )


def _has_split_column(path: Path) -> bool:
    """Named exactly, as evaluate's --split reads it."""
    from .tables import open_table

    table = open_table(str(path))
    try:
        return "split" in table.columns
    finally:
        table.close()


def _from_root(given: str, root: Path) -> Path:
    """A path as given: absolute, or relative to the folder the notebook runs in, else to
    the folder Jupyter was started from (``$PWD``: ``NOTEBOOK_LABELLED=mine.csv jupyter
    execute …`` names a file there), else to the project root (Jupyter runs a notebook in
    notebooks/, where the README's corpus/… paths are not)."""
    path = Path(given)
    if path.is_absolute() or path.exists():
        return path
    started = os.environ.get("PWD")
    if started and (Path(started) / path).exists():
        return Path(started) / path
    return root / path


def of_split(requests: Sequence[T], split: str | None, path: Path) -> list[T]:
    """The requests of ``split`` (all for None); an error naming the splits there are when
    none is of it, rather than a failure further down."""
    rows = [r for r in requests if split is None or getattr(r, "split", None) == split]
    if not rows:
        there = sorted({str(getattr(r, "split", "")) for r in requests}) or ["none"]
        raise ValueError(
            f"no labelled row of {path} is in split {split!r}; its splits: "
            f"{', '.join(there)} (set NOTEBOOK_SPLIT to one of them, or to all)"
        )
    return rows


def left_out_border(requests: Sequence[T]) -> tuple[list[T], int]:
    """The requests evaluate scores, and how many it leaves out: an annotated programme's
    ``BORDER`` (security named in passing) counts in no figure, as in ``evaluate``."""
    kept = [r for r in requests if getattr(r, "scope", "") != Scope.BORDER]
    return kept, len(requests) - len(kept)


def figure_dir() -> Path:
    """Where a notebook saves its figures: ``$NOTEBOOK_OUTPUT_DIR`` or a new temporary folder."""
    out = Path(
        os.environ.get("NOTEBOOK_OUTPUT_DIR") or tempfile.mkdtemp(prefix="notebook-figures-")
    )
    out.mkdir(parents=True, exist_ok=True)
    return out


def use_japanese_font() -> str:
    """Use IPAexGothic, the font japanize-matplotlib ships, for every figure; its name.

    The font file is registered directly: importing ``japanize_matplotlib`` itself needs
    ``distutils``, which Python 3.12 removed. A glyph missing from every font would be
    drawn as a box, so that warning becomes an error.
    """
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "japanize-matplotlib is not installed; `pip install -c constraints.txt -e '.[dev]'`"
        )
    ttf = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    font_manager.fontManager.addfont(str(ttf))
    name = font_manager.FontProperties(fname=str(ttf)).get_name()
    plt.rcParams["font.family"] = [name, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    warnings.filterwarnings("error", message=r"Glyph .* missing from")
    return name
