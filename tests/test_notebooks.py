"""The exploration notebooks run headless from the repository root and write their figures.

Each notebook in ``notebooks/`` is executed with nbclient (an error in any cell fails the
test), must save the PNG figures listed in ``FIGURES`` into ``$NOTEBOOK_OUTPUT_DIR``, and
must be committed without outputs and in sync with its jupytext ``py:percent`` pair.
The notebooks turn matplotlib's missing-glyph warning into an error, so a figure whose
Japanese text would render as boxes fails here too.
"""

from __future__ import annotations

import struct
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PAIRED_SCRIPTS = sorted(NOTEBOOK_DIR.glob("*.py"))
PAIRING = "ipynb,py:percent"

# The figures each notebook must write; a new notebook is added here with its figures.
FIGURES = {
    "misclassified": ("confusion_heatmap.png",),
    "calibration_coverage": ("reliability_diagram.png", "coverage_by_item.png"),
}
MIN_PNG_BYTES = 20_000
MIN_PNG_SIDE = 400


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (and a check that it is a PNG at all)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG file"
    assert head[12:16] == b"IHDR", f"{path.name} has no IHDR chunk"
    return struct.unpack(">II", head[16:24])


def code_cells(nb) -> list[str]:
    return [cell.source.strip() for cell in nb.cells if cell.cell_type == "code"]


def test_notebooks_are_found():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    assert {nb.stem for nb in NOTEBOOKS} == set(FIGURES), (
        "FIGURES must list the figures of exactly the notebooks in notebooks/"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_writes_figures(path: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NOTEBOOK_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails
    errors = [
        output
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors

    for name in FIGURES[path.stem]:
        png = tmp_path / name
        assert png.is_file(), f"{path.name} did not write {name} into NOTEBOOK_OUTPUT_DIR"
        assert png.stat().st_size >= MIN_PNG_BYTES, f"{name} is only {png.stat().st_size} bytes"
        width, height = png_size(png)
        assert min(width, height) >= MIN_PNG_SIDE, f"{name} is only {width}×{height} pixels"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has saved outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize(
    "stem", sorted({p.stem for p in NOTEBOOKS} | {p.stem for p in PAIRED_SCRIPTS})
)
def test_notebook_and_script_are_paired_and_in_sync(stem: str):
    ipynb, script = NOTEBOOK_DIR / f"{stem}.ipynb", NOTEBOOK_DIR / f"{stem}.py"
    assert ipynb.is_file() and script.is_file(), (
        f"{stem}: both .ipynb and .py must exist (`jupytext --set-formats {PAIRING}`)"
    )
    from_ipynb = jupytext.read(ipynb)
    from_script = jupytext.read(script, fmt="py:percent")
    for nb, name in ((from_ipynb, ipynb.name), (from_script, script.name)):
        formats = nb.metadata.get("jupytext", {}).get("formats")
        assert formats == PAIRING, f"{name}: jupytext formats is {formats!r}, not {PAIRING!r}"
    assert code_cells(from_ipynb) == code_cells(from_script), (
        f"{stem}: code cells differ between .ipynb and .py; run `jupytext --sync {ipynb}`"
    )


def test_a_split_no_row_is_in_is_named_with_the_splits_there_are():
    from classifier.labels import LabelledRequest
    from classifier.notebook import of_split

    rows = [LabelledRequest("1", "a", (), split="dev"), LabelledRequest("2", "b", (), split="test")]
    assert [r.id for r in of_split(rows, "test", Path("x.csv"))] == ["2"]
    assert [r.id for r in of_split(rows, None, Path("x.csv"))] == ["1", "2"]
    with pytest.raises(ValueError, match=r"x\.csv is in split 'bogus'; its splits: dev, test"):
        of_split(rows, "bogus", Path("x.csv"))


def test_a_relative_input_is_found_from_the_notebooks_folder(tmp_path, monkeypatch):
    """Jupyter runs a notebook in notebooks/: NOTEBOOK_LABELLED=corpus/labelled/… as the
    README writes it is read from the project root when it is not under the folder."""
    from classifier.notebook import notebook_inputs

    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setenv("NOTEBOOK_LABELLED", "corpus/labelled/rs2024_dev.csv")
    monkeypatch.setenv("NOTEBOOK_MODEL", "models/r3")
    inputs = notebook_inputs()
    assert inputs.labelled == ROOT / "corpus" / "labelled" / "rs2024_dev.csv"
    assert inputs.labelled.is_file() and (inputs.model / "model_card.json").is_file()


def _inputs(labelled: Path, split: str | None = "test", gold: str = "labels"):
    from classifier.notebook import NotebookInputs

    return NotebookInputs(labelled, ROOT / "models" / "r3", gold, split)


def _requests_with(tmp_path: Path, change) -> Path:
    """The bundled labelled requests, changed by ``change(header, rows)``, as a CSV."""
    import csv

    with open(ROOT / "corpus/labelled/requests.csv", encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    header, rows = change(header, rows)
    path = tmp_path / "labelled.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_the_notebooks_refuse_what_evaluate_refuses(tmp_path):
    """A classified file given as the answer key would score the model against itself:
    evaluate's refusal stops the notebook, in its words."""
    from classifier.cli import classify_main
    from classifier.errors import InputFileError
    from classifier.notebook import check_with_evaluate

    src = tmp_path / "requests.csv"
    src.write_bytes((ROOT / "corpus/examples/requests_example.csv").read_bytes())
    assert classify_main([str(src), "-q"]) == 0
    classified = tmp_path / "requests.classified.csv"
    with pytest.raises(InputFileError, match=r"^evaluate refuses these inputs: .*own predictions"):
        check_with_evaluate(_inputs(classified, split=None))


def test_a_file_without_a_split_column_is_told_to_set_the_split_to_all(tmp_path):
    from classifier.errors import InputFileError
    from classifier.notebook import check_with_evaluate

    def drop_split(header, rows):
        at = header.index("split")
        return [c for i, c in enumerate(header) if i != at], [r[:at] + r[at + 1 :] for r in rows]

    path = _requests_with(tmp_path, drop_split)
    with pytest.raises(InputFileError, match=r"has no split column.*to 'all'"):
        check_with_evaluate(_inputs(path))


def test_evaluate_s_warnings_and_counts_come_back_to_the_notebook(tmp_path):
    """Rows with an unknown label are left out by both, and evaluate's warning is shown."""
    from classifier.dataset import read_labelled
    from classifier.notebook import check_with_evaluate, left_out_border, of_split, same_rows
    from classifier.store import load_model

    def typo(header, rows):
        at, split = header.index("labels"), header.index("split")
        test = [i for i, r in enumerate(rows) if r[split] == "test"][:3]
        for i in test:
            rows[i][at] = "(2)⑧"
        return header, rows

    path = _requests_with(tmp_path, typo)
    check = check_with_evaluate(_inputs(path))
    assert len([s for s in check.said if "unknown label '(2)⑧'" in s]) == 3, check.said
    assert check.report["n"] == 249 - 3
    model, _ = load_model(ROOT / "models" / "r3")
    requests = read_labelled(path, model.policy_).requests
    rows, border = left_out_border(of_split(requests, "test", path))
    assert border == 0
    same_rows(len(rows), check)  # the notebook's reading agrees


def test_border_programmes_are_left_out_as_evaluate_leaves_them():
    from classifier.labels import LabelledRequest
    from classifier.notebook import left_out_border

    rows = [
        LabelledRequest("1", "a", ("(1)①",), scope="IN"),
        LabelledRequest("2", "b", ("(1)①",), scope="BORDER"),
        LabelledRequest("3", "c", (), scope="OUT"),
    ]
    kept, border = left_out_border(rows)
    assert [r.id for r in kept] == ["1", "3"] and border == 1


def test_a_relative_input_is_found_from_the_folder_jupyter_was_started_in(tmp_path, monkeypatch):
    from classifier.notebook import notebook_inputs

    (tmp_path / "mine.csv").write_text("id,text,labels\n", encoding="utf-8")
    monkeypatch.chdir(ROOT / "notebooks")  # where the kernel runs the notebook
    monkeypatch.setenv("PWD", str(tmp_path))  # where the analyst typed the command
    monkeypatch.setenv("NOTEBOOK_LABELLED", "mine.csv")
    assert notebook_inputs().labelled == tmp_path / "mine.csv"


def _budget_csv(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A 2-1 budget file: (予算事業ID, 事業年度, 予算年度, 翌年度要求額（合計）) per row."""
    from classifier.sources import rs

    header = [rs.ID, rs.YEAR, rs.BUDGET_YEAR, rs.INITIAL, rs.REQUEST]
    lines = [",".join(header)] + [",".join([i, y, b, "1000", r]) for i, y, b, r in rows]
    path = tmp_path / "2-1.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_programme_s_requested_amount_comes_from_the_budget_file_by_its_id(tmp_path):
    from classifier.notebook import requested_yen

    budget = _budget_csv(
        tmp_path,
        [
            ("47", "2024", "2023", "5"),  # an earlier budget year: not the year's own row
            ("47", "2024", "2024", '"34,482,000"'),  # as Excel re-saves a #,##0 cell
            ("52", "2024", "2024", ""),  # no request given
            ("60", "2023", "2023", "1"),  # two years' downloads: which one is unknown
            ("60", "2024", "2024", "2"),
        ],
    )
    found, notes = requested_yen(["0047", "52", "60", "99", "0047"], budget)
    # Matched as numbers, as classify --budget matches them; a repeat is one programme.
    assert found == {"0047": 34_482_000, "52": None, "60": None, "99": None}
    assert notes == (
        "note: 要求額 unknown for 1 programme of 4, not in 2-1.csv (予算事業ID 99)",
        "note: 要求額 unknown for 1 programme of 4, with amounts for several years in "
        "2-1.csv (予算事業ID 60)",
        "note: 要求額 unknown for 1 programme of 4, without a 翌年度要求額 in 2-1.csv "
        "(予算事業ID 52)",
    )


def test_the_budget_file_is_a_notebook_input_named_like_the_others(tmp_path, monkeypatch):
    from classifier.notebook import notebook_inputs

    assert notebook_inputs().budget is None
    monkeypatch.setenv("NOTEBOOK_BUDGET", "corpus/rs2024/2-1_RS_2024_予算・執行_サマリ.zip")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PWD", raising=False)
    assert notebook_inputs().budget == ROOT / "corpus/rs2024/2-1_RS_2024_予算・執行_サマリ.zip"


def test_coverage_on_the_real_programmes_with_their_budget(tmp_path, monkeypatch):
    """The coverage section on rs2024_dev.csv with the 2-1 file: amounts by 予算事業ID,
    the annotators' budget per item against the model's on the test split, and the money
    of the programmes missed, as the README quotes them."""
    monkeypatch.setenv("NOTEBOOK_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NOTEBOOK_LABELLED", "corpus/labelled/rs2024_dev.csv")
    monkeypatch.setenv("NOTEBOOK_BUDGET", "corpus/rs2024/2-1_RS_2024_予算・執行_サマリ.zip")
    nb = nbformat.read(NOTEBOOK_DIR / "calibration_coverage.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    printed = "".join(
        output.get("text", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert "48 BORDER programmes left out" in printed
    assert "53 in-scope labelled requests, 要求額 158,363 百万円" in printed
    assert "要求額 unknown" not in printed  # every labelled programme is in the 2-1 file
    assert "called out of scope by the model (in no item): 4 programmes, 73,186 百万円" in printed
    assert "taken in by the model (counted under an item): 1 programme, 1 百万円" in printed
