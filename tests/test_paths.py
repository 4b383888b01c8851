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


def test_project_root_is_the_working_directory_when_it_has_a_corpus(project, monkeypatch):
    monkeypatch.chdir(project)
    assert paths.project_root() == project
    assert paths.corpus_dir("r4") == project / "corpus" / "r4"


def test_project_root_falls_back_to_the_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checkout = Path(__file__).resolve().parent.parent
    assert paths.project_root() == checkout


def test_find_root_walks_up(project, monkeypatch):
    deep = project / "corpus" / "r4"
    assert paths.find_root(deep) == project
    (project / "models").rmdir()  # corpus/ alone is not a project
    with pytest.raises(FileNotFoundError, match="corpus/ and models/"):
        paths.find_root(deep)


def test_portable_path_is_relative_inside_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus" / "r3").mkdir(parents=True)
    assert paths.portable_path(tmp_path / "corpus" / "r3") == "corpus/r3"
    assert paths.portable_path(Path("corpus/r3/../r3")) == "corpus/r3"
    outside = tmp_path.parent / "other" / "requests.csv"
    assert paths.portable_path(outside) == outside.resolve().as_posix()
