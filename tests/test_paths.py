"""paths: every folder rule of the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier import paths


@pytest.fixture
def project(tmp_path):
    (tmp_path / "corpus" / "r4").mkdir(parents=True)
    (tmp_path / "corpus" / "r4" / "clauses.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "models").mkdir()
    return tmp_path


def test_folders_under_a_root(tmp_path):
    assert paths.corpus_dir("r4", tmp_path) == tmp_path / "corpus" / "r4"
    assert paths.model_dir("r4", tmp_path) == tmp_path / "models" / "r4"
    assert paths.model_dir(root=tmp_path) == tmp_path / "models" / "r3"  # the default policy
    assert paths.labelled_requests(tmp_path) == tmp_path / "corpus/labelled/requests.csv"
    assert paths.thesaurus(tmp_path) == tmp_path / "corpus" / "thesaurus.csv"
    assert paths.crosswalk("r4", "r3", tmp_path) == tmp_path / "corpus/r4/crosswalk_from_r3.csv"
    assert paths.crosswalk_in(Path("x/r5"), "r4") == Path("x/r5/crosswalk_from_r4.csv")


def test_corpus_ref_with_a_folder_or_an_id(project):
    folder = project / "corpus" / "r4"
    assert paths.corpus_ref(str(folder), project / "elsewhere") == folder  # a built corpus
    assert paths.corpus_ref("r4", project) == project / "corpus" / "r4"  # a policy id
    # A folder without clauses.jsonl is not a corpus: the reference is read as an id.
    empty = project / "empty"
    empty.mkdir()
    assert paths.corpus_ref(str(empty), project) == project / "corpus" / str(empty)
    # What cannot be a policy id is a path as given, never a folder under corpus/.
    assert paths.corpus_ref("out/r4", project) == Path("out/r4")
    assert paths.corpus_ref("work/r4.txt", project) == Path("work/r4.txt")


def test_model_ref_a_bare_id_is_the_project_s_model_even_beside_a_folder_of_that_name(
    project, monkeypatch
):
    """A received model unzipped as ./r3 does not stand in for models/r3; ./r3 names it."""
    (project / "models" / "r3").mkdir()
    work = project / "work"
    (work / "r3").mkdir(parents=True)
    monkeypatch.chdir(work)
    assert paths.model_ref("r3", project) == project / "models" / "r3"
    assert paths.model_ref("./r3", project) == Path("./r3")
    assert paths.model_ref(Path("r3"), project) == Path("r3")  # a Path is a path
    # An id with no model built is a path as given (its error names it).
    assert paths.model_ref("r9", project) == Path("r9")
    assert paths.model_ref("out/r3", project) == Path("out/r3")


def test_project_root_is_the_checkout_wherever_the_command_runs(project, monkeypatch):
    """A working directory with its own corpus/ and models/ (say, a folder received by
    mail) never changes which model or corpus a command uses."""
    monkeypatch.delenv(paths.HOME_VARIABLE, raising=False)
    monkeypatch.chdir(project)
    checkout = Path(__file__).resolve().parent.parent
    assert paths.project_root() == checkout
    assert paths.corpus_dir("r4") == checkout / "corpus" / "r4"


def test_project_root_given_explicitly(project, monkeypatch):
    monkeypatch.setenv(paths.HOME_VARIABLE, str(project))
    assert paths.project_root() == project.resolve()
    assert paths.model_dir("r4") == project.resolve() / "models" / "r4"


def test_portable_path_is_relative_inside_the_project(tmp_path):
    (tmp_path / "corpus" / "r3").mkdir(parents=True)
    assert paths.portable_path(tmp_path / "corpus" / "r3", tmp_path) == "corpus/r3"
    assert paths.portable_path(tmp_path / "corpus" / "r3" / ".." / "r3", tmp_path) == "corpus/r3"
    outside = tmp_path.parent / "other" / "requests.csv"
    assert paths.portable_path(outside, tmp_path) == outside.resolve().as_posix()


def test_built_policies_and_their_text(tmp_path):
    corpus = tmp_path / "corpus"
    assert paths.built_policies(corpus) == []
    assert "no policy is built yet" in paths.policies_text(corpus)
    (corpus / "r4").mkdir(parents=True)
    (corpus / "r4" / "clauses.jsonl").write_text("", encoding="utf-8")
    (corpus / "labelled").mkdir()  # no clauses.jsonl: not a policy
    assert paths.built_policies(corpus) == ["r4"]
    assert paths.policies_text(corpus) == "the only policy built is r4"
    (corpus / "r3").mkdir()
    (corpus / "r3" / "clauses.jsonl").write_text("", encoding="utf-8")
    assert paths.policies_text(corpus) == "the policies built are r3, r4"
    assert paths.corpus_root(tmp_path) == corpus
