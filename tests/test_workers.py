"""workers: a table chunk by chunk, in this process or a ``--jobs`` pool.

Unit tests with a stub predictor first; then the pool through classify (small chunks and
no minimum size, so a few rows take the pool path).
"""

from __future__ import annotations

import subprocess
import sys

from classifier import workers
from classifier.commands import classify as classify_mod
from classifier.predict import Prediction
from classifier.tables import InputTable, Row

from .helpers import (
    check_added,
    expects_empty,
    load_committed_model,
    read_csv_output,
    run_classify,
    write_csv_bytes,
)


class StubPredictor:
    """Predicts label "(1)①" for every text; a text containing BOOM makes it raise."""

    top_k = 1
    min_confidence = 0.3
    level = "subitem"

    def __init__(self):
        self.batches: list[list[str]] = []

    def predict(self, texts):
        self.batches.append(list(texts))
        if any("BOOM" in t for t in texts):
            raise ValueError("cannot analyse BOOM")
        return [Prediction(("(1)①",), ("監視",), (0.9,), (t[:2],), 1.0, "ok") for t in texts]


def test_row_text_joins_text_cells_and_skips_blanks():
    row = Row(1, ["事業名", None, " ", float("nan"), "事業概要", 3])
    assert workers.row_text(row, [0, 1, 2, 3, 4]) == "事業名\n事業概要"
    assert workers.row_text(row, [5, 0]) == "3\n事業名"  # in the order given
    assert workers.row_text(row, [1, 2]) == ""


def test_predict_texts_keeps_row_errors():
    stub = StubPredictor()
    preds = workers.predict_texts(stub, ["市町村", "", "政府"], [None, "not valid JSON", None])
    assert stub.batches == [["市町村", "政府"]]  # rows with an error are not predicted
    assert [p.status for p in preds] == ["ok", "error: not valid JSON", "ok"]
    assert preds[1].labels == ()


def test_one_bad_row_does_not_sink_the_chunk():
    stub = StubPredictor()
    preds = workers.predict_texts(stub, ["市町村", "BOOM", "政府"], [None, None, None])
    assert [p.status for p in preds] == ["ok", "error: ValueError: cannot analyse BOOM", "ok"]
    assert stub.batches == [["市町村", "BOOM", "政府"], ["市町村"], ["BOOM"], ["政府"]]


def test_classify_chunk_makes_the_output_cells():
    cells, statuses, preds = workers.classify_chunk(
        StubPredictor(), ["市町村", ""], [None, "bad row"], keep=False
    )
    assert cells == [
        ["(1)①", "監視", 0.9, "市町", "ok", "", 1.0, "", "", ""],
        ["", "", "", "", "error: bad row", "", "", "", "", ""],  # no scores: no in_scope
    ]
    assert statuses == ["ok", "error: bad row"] and preds is None
    _, _, kept = workers.classify_chunk(StubPredictor(), ["x"], [None], keep=True)
    assert kept is not None and kept[0].labels == ("(1)①",)


def test_small_inputs_are_classified_in_process_in_order(monkeypatch, tmp_path):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for a small input")

    monkeypatch.setattr(workers, "_in_pool", no_pool)
    chunks = [[Row(i, [f"t{i}"]) for i in range(k, k + 3)] for k in (1, 4, 7)]
    out = list(workers.predicted_chunks(chunks, [0], StubPredictor(), 2, tmp_path))
    assert [[r.number for r in rows] for rows, _, _ in out] == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [texts for _, texts, _ in out] == [
        ["t1", "t2", "t3"],
        ["t4", "t5", "t6"],
        ["t7", "t8", "t9"],
    ]
    assert all(statuses == ["ok"] * 3 for _, _, (_, statuses, _) in out)


def test_an_uncalculated_formula_is_an_error_only_in_a_text_cell(tmp_path):
    rows = [
        Row(1, ["市町村", "=SUM(1,2)"], uncalculated=(1,)),  # an amount: classified
        Row(2, ['=A2&"x"', "300"], uncalculated=(0,)),  # the text: unknown
    ]
    ((_, texts, (_, statuses, _)),) = workers.predicted_chunks(
        [rows], [0], StubPredictor(), 1, tmp_path
    )
    assert texts == ["市町村", ""]
    assert statuses[0] == "ok"
    assert statuses[1].startswith("error: a text cell holds a formula Excel has not calculated")


def test_a_worker_whose_main_process_is_gone_leaves_at_once(tmp_path):
    """The initialiser is given the main process's pid; a worker that starts after that
    process died (its parent is then PID 1 or a subreaper) leaves instead of waiting."""
    code = (
        "from classifier.workers import _start_worker\n"
        f"_start_worker('{tmp_path}', 3, 0.3, 'subitem', 0.5, False, parent=-1)\n"
        "print('still here')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1 and "still here" not in proc.stdout, proc.stderr


# ----------------------------------------------------------------------- the pool, through classify


def _pool_even_for_small_inputs(monkeypatch, chunk_rows: int = 3) -> None:
    """Take the worker-pool path with a few rows: tiny chunks, no minimum size."""
    monkeypatch.setattr(workers, "POOL_MIN_ROWS", 1)
    real_chunks = InputTable.chunks
    monkeypatch.setattr(InputTable, "chunks", lambda self, size=chunk_rows: real_chunks(self, size))


POOL_ROWS = [
    [str(i % 4), ["市町村の情報セキュリティ", "", "🙂\u200b㍿", "河川の堤防", " \t"][i % 5], str(i)]
    for i in range(23)
]


def test_jobs_keep_every_row_in_order(tmp_path, monkeypatch):
    _pool_even_for_small_inputs(monkeypatch)
    data = write_csv_bytes(POOL_ROWS)
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--jobs", "2", "-q"])
    assert rc == 0, err
    body = read_csv_output(out)[1:]
    assert [r[:3] for r in body] == POOL_ROWS
    for written, got in zip(POOL_ROWS, body, strict=True):
        assert (check_added(got[3:]) == "empty_text") == expects_empty(written[1])
    assert src.read_bytes() == data


def test_jobs_interrupted_leaves_no_output_and_no_workers(tmp_path, monkeypatch):
    import multiprocessing

    from classifier.tables import TableWriter

    _pool_even_for_small_inputs(monkeypatch)
    real_write = TableWriter.write_rows
    written: list[int] = []

    def write_rows(self, rows, objs=None, lines=None):
        written.append(1)
        if len(written) > 2:  # Ctrl-C while the third chunk is being written
            raise KeyboardInterrupt
        return real_write(self, rows, objs, lines)

    monkeypatch.setattr(TableWriter, "write_rows", write_rows)
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    src = src_dir / "requests.csv"
    data = write_csv_bytes(POOL_ROWS)
    src.write_bytes(data)
    rc, err = run_classify([src, "-o", out_dir / "o.xlsx", "--jobs", "2", "-q"])
    assert len(written) == 3, "the interrupt did not happen where intended"
    assert rc not in (0, None) and "interrupted" in err
    assert list(out_dir.iterdir()) == []
    assert src.read_bytes() == data
    assert multiprocessing.active_children() == [], "worker processes outlived the run"


def test_jobs_worker_that_cannot_load_the_model(tmp_path, monkeypatch, capfd):
    """The workers fail to load the model the main process loaded (say the folder vanished):
    a one-line message and exit 2, no traceback from any process, no output, no workers left."""
    import multiprocessing

    _pool_even_for_small_inputs(monkeypatch)
    committed = load_committed_model(None)
    # Only the main process is patched: the spawned workers load from the missing folder.
    monkeypatch.setattr(classify_mod, "load_model", lambda *a, **k: committed)
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes(POOL_ROWS))
    out = tmp_path / "o.csv"
    rc, err = run_classify([src, "-o", out, "--jobs", "2", "--model", tmp_path / "gone", "-q"])
    assert rc == 2
    assert "worker process could not load the model" in err and "--jobs 1" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [src]
    assert multiprocessing.active_children() == []
    assert "Traceback" not in capfd.readouterr().err


def test_jobs_with_cited_give_the_same_bytes_as_one_job(tmp_path, monkeypatch):
    """--cited is joined in the main process; through the pool the output is still the
    one-process output, byte for byte (the pool path checked to be taken)."""
    from .test_classify_citations import CITED_HEADER, HAND_CITED
    from .test_classify_review_sheets import HAND_ROWS, RS_HEADER, csv_bytes

    _pool_even_for_small_inputs(monkeypatch)
    pools: list[int] = []
    real_in_pool = workers._in_pool

    def in_pool(source, predictor, jobs, model_dir, keep):
        pools.append(jobs)
        yield from real_in_pool(source, predictor, jobs, model_dir, keep)

    monkeypatch.setattr(workers, "_in_pool", in_pool)
    src = tmp_path / "1-2.csv"
    src.write_bytes(csv_bytes(RS_HEADER, HAND_ROWS * 2))  # 14 rows, 5 chunks of 3
    cited = tmp_path / "1-3.csv"
    cited.write_bytes(csv_bytes(CITED_HEADER, HAND_CITED))
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"o{jobs}.csv"
        rc, err = run_classify([src, "--cited", cited, "-o", out, "--jobs", jobs, "-q"])
        assert rc == 0, err
        outs[jobs] = out.read_bytes()
    assert pools == [2]  # only the --jobs 2 run used the pool
    assert outs[2] == outs[1]
    table = read_csv_output(tmp_path / "o2.csv")
    assert table[0][-1] == "cited_cyber" and len(table) - 1 == 14
    assert [r[0] for r in table[1:]] == [r[0] for r in HAND_ROWS * 2]


# ----------------------------------------------------------------------- when a pool pays


def test_a_pool_pays_for_many_rows_or_much_text():
    assert workers._pool_pays(workers.POOL_MIN_ROWS, 0)
    # The development half's review sheets: 2,906 rows, 1.85 million characters.
    assert workers._pool_pays(2906, 1_850_000)
    assert not workers._pool_pays(2906, 300_000) and not workers._pool_pays(100, 1000)
    # One row is one task, however long: a pool would only cost its start-up.
    assert not workers._pool_pays(1, 5_000_000) and workers._pool_pays(2, 1_000_000)


def test_one_long_row_starts_no_pool_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "available_cpus", lambda: 2)
    monkeypatch.setattr(workers, "POOL_MIN_CHARS", 50)
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes([["0", "市町村の情報セキュリティ" * 6, "0"]]))  # 72 characters
    rc, err = run_classify([src, "-o", tmp_path / "o.csv", "--jobs", 2])
    assert rc == 0, err
    assert "(one row cannot be shared among workers); classified in one process" in err
    assert "no worker pool for 1 row of " in err


def test_tasks_cut_a_chunk_into_runs_of_text_in_order():
    rows = [Row(i, [str(i)], line=i + 2) for i in range(7)]
    texts = ["a" * n for n in (100, 150, 60, 400, 0, 10, 90)]
    errors = [None, None, "bad", None, None, None, None]
    real = workers.POOL_TASK_CHARS
    try:
        workers.POOL_TASK_CHARS = 250
        tasks = list(workers._tasks((rows, texts, errors)))
    finally:
        workers.POOL_TASK_CHARS = real
    # At most 250 characters a task, except a longer row alone; every row once, in order.
    assert [[r.number for r in t[0]] for t in tasks] == [[0, 1], [2], [3], [4, 5, 6]]
    assert [t[1] for t in tasks] == [texts[0:2], texts[2:3], texts[3:4], texts[4:7]]
    assert [t[2] for t in tasks] == [[None, None], ["bad"], [None], [None, None, None]]
    assert list(workers._tasks(([], [], []))) == [([], [], [])]


def test_long_texts_take_the_pool_below_the_row_minimum(tmp_path, monkeypatch):
    """Few rows of much text start the pool (POOL_MIN_CHARS), are sent as several tasks,
    and give the one-process output byte for byte."""
    monkeypatch.setattr(workers, "available_cpus", lambda: 2)
    monkeypatch.setattr(workers, "POOL_MIN_CHARS", 50)  # POOL_ROWS: 95 characters
    monkeypatch.setattr(workers, "POOL_TASK_CHARS", 20)
    tasks: list[int] = []
    real_in_pool = workers._in_pool

    def in_pool(source, predictor, jobs, model_dir, keep):
        def counted():
            for part in source:
                tasks.append(len(part[0]))
                yield part

        yield from real_in_pool(counted(), predictor, jobs, model_dir, keep)

    monkeypatch.setattr(workers, "_in_pool", in_pool)
    src = tmp_path / "in.csv"
    src.write_bytes(write_csv_bytes(POOL_ROWS))
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"o{jobs}.csv"
        rc, err = run_classify([src, "-o", out, "--jobs", jobs])
        assert rc == 0, err
        assert "no worker pool" not in err
        outs[jobs] = out.read_bytes()
    assert sum(tasks) == len(POOL_ROWS) and len(tasks) > 1  # only the --jobs 2 run
    assert outs[2] == outs[1]


def test_scope_threshold_reaches_the_workers(tmp_path, monkeypatch):
    """--scope-threshold is passed to every worker: --jobs 2 writes what --jobs 1 does, and
    the threshold decides which rows are out_of_scope (their in_scope below it)."""
    from .test_classify_review_sheets import HAND_ROWS, RS_HEADER, csv_bytes

    _pool_even_for_small_inputs(monkeypatch)
    src = tmp_path / "1-2.csv"
    src.write_bytes(csv_bytes(RS_HEADER, HAND_ROWS * 2))
    tables = {}
    for threshold in ("0", "0.999"):
        outs = {}
        for jobs in (1, 2):
            out = tmp_path / f"o{threshold}-{jobs}.csv"
            rc, err = run_classify(
                [src, "--scope-threshold", threshold, "-o", out, "--jobs", jobs, "-q"]
            )
            assert rc == 0, err
            outs[jobs] = out.read_bytes()
        assert outs[2] == outs[1]
        tables[threshold] = read_csv_output(tmp_path / f"o{threshold}-1.csv")
    header = tables["0"][0]
    status, in_scope = header.index("status"), header.index("in_scope")
    for threshold, table in tables.items():
        for row in table[1:]:
            if row[in_scope] == "":  # a programme with no text
                assert row[status] == "empty_text"
                continue
            assert (row[status] == "out_of_scope") == (float(row[in_scope]) < float(threshold))
    assert any(r[status] == "out_of_scope" for r in tables["0.999"][1:])
    assert any(r[status] != "out_of_scope" for r in tables["0"][1:])
