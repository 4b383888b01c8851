"""tables.guard: one rule for every file a command writes — never over an input, another
output of the same run, a device, a FIFO or a folder — with paths compared after
resolving ``..`` and symbolic links."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.errors import OutputFileError
from classifier.tables import check_outputs, check_regular


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """``in.csv``, a sub-folder, a link to the input and a link to the folder, with the
    folder as the working directory (so relative spellings resolve against it)."""
    (tmp_path / "in.csv").write_text("id,text\n1,a\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "in.csv")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


SPELLINGS_OF_THE_INPUT = [
    "in.csv",
    "./in.csv",
    "sub/../in.csv",
    "./sub/./../in.csv",
    "link.csv",
    "sub/up/in.csv",  # through a linked folder
    "sub/up/link.csv",
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_THE_INPUT)
def test_an_output_that_is_the_input_is_refused(folder, spelling):
    with pytest.raises(OutputFileError, match=r"^-o .* is the input in\.csv; it would be over"):
        check_outputs([("-o", spelling)], inputs=["in.csv"])
    with pytest.raises(OutputFileError, match="is the input"):
        check_outputs([("-o", "in.csv")], inputs=[spelling, None])
    with pytest.raises(OutputFileError, match="is the input"):
        check_outputs([("-o", str(folder / spelling))], inputs=["in.csv"])
    assert (folder / "in.csv").read_text(encoding="utf-8") == "id,text\n1,a\n"


@given(
    steps=st.lists(st.sampled_from(["./", "sub/../", "sub/up/", "sub/./up/./"]), max_size=5),
    name=st.sampled_from(["in.csv", "link.csv"]),
)
def test_every_spelling_of_the_input_is_refused(tmp_path_factory, steps, name):
    root = tmp_path_factory.mktemp("guard")
    (root / "in.csv").write_text("x", encoding="utf-8")
    (root / "sub").mkdir()
    (root / "link.csv").symlink_to(root / "in.csv")
    (root / "sub" / "up").symlink_to(root)
    spelling = str(root) + "/" + "".join(steps) + name
    assert os.path.samefile(spelling, root / "in.csv")  # an independent check of the premise
    with pytest.raises(OutputFileError, match="is the input"):
        check_outputs([("--review", spelling)], inputs=[root / "in.csv"])


def test_two_outputs_of_one_run_are_refused(folder):
    with pytest.raises(
        OutputFileError, match=r"^--review out\.xlsx is also -o out\.xlsx; one output would"
    ):
        check_outputs([("-o", "out.xlsx"), ("--review", "out.xlsx")], inputs=["in.csv"])
    with pytest.raises(OutputFileError, match="is also --report"):
        check_outputs([("--report", "r.json"), ("--misclassified", "sub/../r.json")])
    # Standard output, and missing options, are never in the way.
    check_outputs([("-o", "-"), ("--review", None), ("--report", "-")], inputs=["in.csv", "-"])
    check_outputs([("-o", "new.csv"), ("--review", "new.xlsx")], inputs=["in.csv"])


def test_devices_fifos_and_folders_are_refused(folder):
    os.mkfifo("pipe")
    for path, message in [
        ("/dev/null", "is not a regular file"),
        ("pipe", "is not a regular file"),
        ("sub", "is a folder; give a file name"),
        (".", "is a folder"),
    ]:
        with pytest.raises(OutputFileError, match=message):
            check_outputs([("-o", path)], inputs=["in.csv"])
        with pytest.raises(OutputFileError, match=message):
            check_regular(path)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert stat.S_ISFIFO(os.stat("pipe").st_mode)
    check_regular("in.csv")
    check_regular("not-yet.csv")
    check_regular(Path("sub") / "new.csv")


def test_a_link_to_a_device_is_refused(folder):
    Path("null.csv").symlink_to("/dev/null")
    with pytest.raises(OutputFileError, match="not a regular file"):
        check_outputs([("-o", "null.csv")])
