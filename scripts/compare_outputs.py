"""Run every command on the bundled inputs and odd files, in two checkouts, and compare.

    python scripts/compare_outputs.py --before HEAD~1            # that commit vs the work tree
    python scripts/compare_outputs.py --before v1 --after v2     # two commits

Each side is exported from git (``git archive``; the work tree is used as it is) and run
with its own ``src/`` on the import path and its own ``corpus/`` and ``models/``, in fresh
processes: build_corpus (r3 and every revised fixture), train (full and clause-only),
classify (every input and output format, ``--level``, ``--top-k``, ``--review``, standard
input, unreadable files), evaluate (report JSON, misclassified CSV) and revise (diff,
crosswalk). Every file written, every stdout/stderr and every exit code is compared byte
for byte, with three documented exceptions: timings in messages ("in 0.4s"), the temporary
folder's name, and inside an .xlsx the creation timestamp in ``docProps/core.xml``.
``model_sha256`` (on the model card and in evaluate's report) is left out: it is the hash
of the pickled model, which changes when a class moves module even though every array,
and so every prediction, is the same; the predictions themselves are compared.
Exits 1 when anything differs. Used to show that a refactor changed no behaviour.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ODD_TEXTS = [
    "地方公共団体の情報セキュリティ強化㍿ ｶﾀｶﾅ\tタブ",
    "",
    "   ",
    '=HYPERLINK("http://example.com")',
    "+1+cmd|' /C calc'!A0",
    "制御\x01文字\x7fと\u200bゼロ幅",
    "サイバー攻撃への対処態勢の強化。" * 300,
    "12345",
    "𠮷野家のサイバーセキュリティ 🎌",
    "道路橋の長寿命化修繕",
    "政府機関の横断的な監視体制の強化\r\n改行",
]


def _export(rev: str, dest: Path) -> Path:
    data = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _odd_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [[f"X{i:03d}", "テスト事業", t, "memo"] for i, t in enumerate(ODD_TEXTS)]
    header = ["id", "事業名", "事業概要", "memo"]
    out = []
    for name, enc, delim in (
        ("odd.csv", "utf-8", ","),
        ("odd_bom.csv", "utf-8-sig", ","),
        ("odd.tsv", "utf-8", "\t"),
    ):
        with open(folder / name, "w", encoding=enc, newline="") as fh:
            w = csv.writer(fh, delimiter=delim)
            w.writerow(header)
            w.writerows(rows)
        out.append(folder / name)
    with open(folder / "odd_cp932.csv", "w", encoding="cp932", errors="replace", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    out.append(folder / "odd_cp932.csv")
    with open(folder / "odd.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(dict(zip(header, r, strict=True)), ensure_ascii=False) + "\n")
        fh.write("not json\n")
    out.append(folder / "odd.jsonl")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "一覧"
    ws.append(header)
    for r in rows:
        ws.append([re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in r])
    ws.append([None, None, None, None])
    ws.append(["X999", "数値", 12345, 3.5])
    wb.save(folder / "odd.xlsx")
    out.append(folder / "odd.xlsx")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "nocol.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    out += [folder / "empty.csv", folder / "binary.csv", folder / "nocol.csv"]
    return out


def _runs(tree: Path, out: Path, inputs: list[Path]) -> list[tuple[str, list[str], bytes | None]]:
    """``(name, argv, stdin)`` of every command run, in order."""
    model = str(out / "model")
    fixtures = sorted((tree / "tests" / "fixtures" / "revised").glob("*.txt"))
    runs: list[tuple[str, list[str], bytes | None]] = [
        (
            "build_r3",
            [
                "build_corpus.py",
                "corpus/r3/source.txt",
                "--policy-id",
                "r3",
                "--out",
                str(out / "corpus_r3"),
                "--summary-map",
                "corpus/r3/summary_map.csv",
            ],
            None,
        ),
    ]
    for f in fixtures:
        runs.append(
            (
                f"build_{f.stem}",
                [
                    "build_corpus.py",
                    str(f),
                    "--policy-id",
                    f.stem[:2],
                    "--out",
                    str(out / f"corpus_{f.stem}"),
                ],
                None,
            )
        )
    runs += [
        ("train", ["train.py", "--out", model], None),
        ("train_clause_only", ["train.py", "--clause-only", "--out", str(out / "model_co")], None),
        (
            "revise_diff",
            [
                "revise.py",
                "diff",
                "--old",
                "corpus/r3",
                "--new",
                str(out / f"corpus_{fixtures[0].stem}"),
                "-o",
                str(out / "diff.csv"),
            ],
            None,
        ),
        (
            "revise_crosswalk",
            [
                "revise.py",
                "crosswalk",
                "--old",
                "corpus/r3",
                "--new",
                str(out / f"corpus_{fixtures[0].stem}"),
                "-o",
                str(out / "crosswalk.csv"),
            ],
            None,
        ),
    ]
    labelled = "corpus/labelled/requests.csv"
    example = "corpus/examples/requests_example.csv"
    c = ["classify.py", "--model", model]
    runs += [
        ("classify_example", [*c, example, "-o", str(out / "example.csv")], None),
        ("classify_example_xlsx", [*c, example, "-o", str(out / "example.xlsx")], None),
        ("classify_example_jsonl", [*c, example, "-o", str(out / "example.jsonl")], None),
        ("classify_example_tsv", [*c, example, "-o", str(out / "example.tsv")], None),
        (
            "classify_labelled_item",
            [*c, labelled, "--level", "item", "-o", str(out / "labelled_item.csv")],
            None,
        ),
        (
            "classify_labelled_area",
            [*c, labelled, "--level", "area", "--top-k", "5", "-o", str(out / "labelled_area.csv")],
            None,
        ),
        (
            "classify_labelled_review",
            [*c, labelled, "-o", str(out / "labelled.csv"), "--review", str(out / "review.xlsx")],
            None,
        ),
        ("classify_stdin", [*c, "-", "-q"], (tree / example).read_bytes()),
        (
            "classify_cp932_out",
            [*c, example, "--output-encoding", "cp932", "-o", str(out / "example_cp932.csv")],
            None,
        ),
    ]
    for f in inputs:
        runs.append(
            (f"classify_{f.name}", [*c, str(f), "-o", str(out / f"{f.name}.out.csv")], None)
        )
        if f.suffix in (".xlsx", ".jsonl"):
            runs.append(
                (
                    f"classify_{f.name}_same",
                    [*c, str(f), "-o", str(out / f"{f.name}.out{f.suffix}")],
                    None,
                )
            )
    runs += [
        (
            "evaluate_test",
            [
                "evaluate.py",
                labelled,
                "--model",
                model,
                "--gold-column",
                "labels",
                "--split",
                "test",
                "--report",
                str(out / "report.json"),
                "--misclassified",
                str(out / "misses.csv"),
            ],
            None,
        ),
        (
            "evaluate_item",
            [
                "evaluate.py",
                labelled,
                "--model",
                model,
                "--gold-column",
                "labels",
                "--level",
                "item",
                "--report",
                str(out / "report_item.json"),
            ],
            None,
        ),
        (
            "evaluate_review",
            ["evaluate.py", str(out / "review.xlsx"), "--model", model, "--gold-column", "label_1"],
            None,
        ),
        ("classify_missing", [*c, "nowhere.csv"], None),
        ("classify_bad_model", ["classify.py", "--model", str(out), example], None),
    ]
    return runs


def run_side(tree: Path, out: Path) -> dict[str, bytes]:
    """Every artefact of one side: files written and the stdout/stderr/exit code of each run."""
    out.mkdir(parents=True, exist_ok=True)
    inputs = _odd_files(out / "inputs")
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    env.pop("CLASSIFIER_DEBUG", None)
    results: dict[str, bytes] = {}
    for name, argv, stdin in _runs(tree, out, inputs):
        script = tree / "scripts" / argv[0]
        proc = subprocess.run(
            [sys.executable, str(script), *argv[1:]],
            cwd=tree,
            env=env,
            input=stdin,
            capture_output=True,
            check=False,
        )
        results[f"{name}.rc"] = str(proc.returncode).encode()
        results[f"{name}.stdout"] = _mask(proc.stdout, tree, out)
        results[f"{name}.stderr"] = _mask(proc.stderr, tree, out)
    for path in sorted(out.rglob("*")):
        if path.is_file() and "inputs" not in path.relative_to(out).parts:
            results[str(path.relative_to(out))] = _content(path)
    return results


def _mask(data: bytes, tree: Path, out: Path) -> bytes:
    text = data.decode("utf-8", "replace").replace(str(out), "<OUT>").replace(str(tree), "<TREE>")
    return re.sub(r"in \d+\.\d+s", "in <T>s", text).encode()


def _content(path: Path) -> bytes:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            parts = [
                name.encode() + b"\0" + zf.read(name)
                for name in sorted(zf.namelist())
                if name != "docProps/core.xml"
            ]
        return b"\n".join(parts)
    if path.suffix == ".json":
        return json.dumps(
            _without_model_hash(json.loads(path.read_text(encoding="utf-8"))),
            ensure_ascii=False,
            indent=2,
        ).encode()
    if path.suffix == ".joblib":
        return b"(pickle: compared through its card and its predictions)"
    return path.read_bytes()


def _without_model_hash(value):
    if isinstance(value, dict):
        return {k: _without_model_hash(v) for k, v in value.items() if k != "model_sha256"}
    if isinstance(value, list):
        return [_without_model_hash(v) for v in value]
    return value


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--before", required=True, help="git revision of the 'before' side")
    ap.add_argument("--after", help="git revision of the 'after' side (default: the work tree)")
    ap.add_argument("--keep", type=Path, help="keep both sides' outputs in this folder")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="compare-outputs-"))
    try:
        before_tree = _export(args.before, tmp / "before_tree")
        after_tree = _export(args.after, tmp / "after_tree") if args.after else ROOT
        # The same output folder name on both sides keeps paths in messages comparable.
        sides = {}
        for label, tree in (("before", before_tree), ("after", after_tree)):
            out = tmp / "out"
            sides[label] = run_side(tree, out)
            if args.keep:
                shutil.copytree(out, args.keep / label, dirs_exist_ok=True)
            shutil.rmtree(out)
        before, after = sides["before"], sides["after"]
        differ = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        for key in differ:
            b, a = before.get(key), after.get(key)
            print(f"DIFFERS {key}: before {_digest(b)}, after {_digest(a)}")
        print(
            f"{len(set(before) | set(after))} artefacts compared "
            f"({sum(1 for k in before if not k.endswith(('.rc', '.stdout', '.stderr')))} files, "
            f"{sum(1 for k in before if k.endswith('.rc'))} runs): "
            + ("all identical" if not differ else f"{len(differ)} differ")
        )
        return 1 if differ else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _digest(data: bytes | None) -> str:
    return "missing" if data is None else hashlib.sha256(data).hexdigest()[:12]


if __name__ == "__main__":
    raise SystemExit(main())
