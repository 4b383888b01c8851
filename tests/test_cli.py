"""cli and cli_parsers: every option fills a parameter of its command; errors map to exit codes.

The commands themselves are exercised end to end in the ``test_*_cli.py`` files.
"""

from __future__ import annotations

import inspect
from dataclasses import fields

import pytest

from classifier import cli, cli_parsers, paths
from classifier.commands import build_corpus, classify, evaluate, revise, train
from classifier.errors import InputFileError


@pytest.mark.parametrize(
    ("parser", "argv", "parameters"),
    [
        (
            cli_parsers.build_corpus_parser,
            ["s.txt", "--policy-id", "r4", "--out", "o"],
            set(inspect.signature(build_corpus.build_corpus).parameters),
        ),
        (cli_parsers.train_parser, [], set(inspect.signature(train.train).parameters)),
        (
            cli_parsers.classify_parser,
            ["in.csv"],
            {f.name for f in fields(classify.ClassifyOptions)},
        ),
        (
            cli_parsers.evaluate_parser,
            ["in.csv", "--gold-column", "labels"],
            set(inspect.signature(evaluate.evaluate).parameters),
        ),
        (
            cli_parsers.revise_parser,
            ["crosswalk", "--old", "r3", "--new", "r4"],
            {"action", *inspect.signature(revise.revise_crosswalk).parameters},
        ),
    ],
    ids=["build_corpus", "train", "classify", "evaluate", "revise"],
)
def test_each_option_is_a_parameter_of_its_command(parser, argv, parameters):
    assert set(vars(parser().parse_args(argv))) == parameters


def test_classify_defaults_are_the_documented_ones():
    args = cli_parsers.classify_parser().parse_args(["in.csv"])
    assert (args.top_k, args.jobs, args.level, args.min_confidence) == (3, 1, "subitem", None)
    assert args.output_encoding == "utf-8-sig"
    with pytest.raises(SystemExit):
        cli_parsers.classify_parser().parse_args(["in.csv", "--level", "section"])


def _failing(exc: BaseException):
    def classify_(opts):
        raise exc

    return classify_


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (InputFileError("in.csv: no such file"), 2, "error: in.csv: no such file\n"),
        (FileNotFoundError(2, "No such file or directory", "x.csv"), 2, "error: "),
        (KeyboardInterrupt(), 130, "error: interrupted; no output file was written\n"),
        (RuntimeError("boom"), 1, "error: unexpected RuntimeError: boom. This is a bug"),
    ],
)
def test_errors_map_to_exit_codes(monkeypatch, capsys, exc, code, message):
    monkeypatch.delenv("CLASSIFIER_DEBUG", raising=False)
    monkeypatch.setattr(classify, "classify", _failing(exc))
    assert cli.classify_main(["in.csv"]) == code
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1  # one line, no traceback


def test_debug_shows_the_bug(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_DEBUG", "1")
    monkeypatch.setattr(classify, "classify", _failing(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        cli.classify_main(["in.csv"])


def test_usage_errors_exit_2(capsys):
    assert cli.classify_main([]) == 2  # the input is required
    assert cli.classify_main(["in.csv", "--top-k", "x"]) == 2
    assert "usage:" in capsys.readouterr().err
    assert cli.train_main(["--cv-groups", "region"]) == 2  # programme or ministry only
    assert "invalid choice: 'region'" in capsys.readouterr().err


def test_train_cross_validates_by_programme_unless_told():
    assert cli_parsers.train_parser().parse_args([]).cv_groups == "programme"
    args = cli_parsers.train_parser().parse_args(["--cv-groups", "ministry"])
    assert args.cv_groups == "ministry"


def test_dispatcher(capsys):
    assert cli.main(["--help"]) == 0
    assert "usage: python -m classifier {build-corpus, train, classify" in capsys.readouterr().out
    assert cli.main(["nope"]) == 2
    assert "usage:" in capsys.readouterr().err
    assert cli.main([]) == 2
    assert set(cli.COMMANDS) == {
        "build-corpus",
        "train",
        "classify",
        "evaluate",
        "revise",
        "show-results",
    }


def test_a_confidence_outside_0_1_is_refused_by_every_command(tmp_path, capsys):
    """--min-confidence 5 (a percentage typed as a number, say) is refused alike by train,
    classify and evaluate, before anything is read or written (evaluate once measured with
    it, flagging every row; train wrote it into a model card)."""
    labelled = str(paths.labelled_requests(paths.project_root()))
    runs = {
        "train": lambda v: cli.train_main(["--out", str(tmp_path / "m"), "--min-confidence", v]),
        "classify": lambda v: cli.classify_main(
            [labelled, "-o", str(tmp_path / "o.csv"), "--min-confidence", v]
        ),
        "evaluate": lambda v: cli.evaluate_main(
            [labelled, "--gold-column", "labels", "--min-confidence", v]
        ),
    }
    for name, run in runs.items():
        for bad in ("5", "-0.1", "nan"):
            assert run(bad) == 2, (name, bad)
            captured = capsys.readouterr()
            assert captured.err == "error: --min-confidence must be between 0 and 1\n", name
            assert captured.out == "", name
    assert list(tmp_path.iterdir()) == []  # no model folder, no output
