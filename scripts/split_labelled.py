"""Maintain corpus/labelled/requests.csv: add rows and second annotations, fix the split.

    python scripts/split_labelled.py corpus/labelled/requests.csv NEW.csv \
        --second SECOND.csv -o corpus/labelled/requests.csv

* Rows are keyed by request_id; the first file that has an id wins.
* ``labels_writer`` keeps the labels of the person who wrote the request, ``labels_second``
  those of an independent second annotator (``--second`` files: request_id,labels), and
  ``labels`` — what training and evaluation use — is their union, the writer's primary
  first. Where one says NONE and the other does not, the writer's labels stand.
* A row keeps the split it has; a new row is assigned by a hash of its request_id within
  its primary-label stratum, so about 30% of every label goes to test. Never re-draw the
  split to chase a better test score.
"""

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import _bootstrap  # noqa: F401

from classifier.labels import parse_labels

COLUMNS = [
    "request_id",
    "府省庁",
    "事業名",
    "事業概要",
    "要求額",
    "labels",
    "split",
    "labels_writer",
    "labels_second",
]
TEST_SHARE = 0.3


def _fmt(labels) -> str:
    return "NONE" if labels == () else ";".join(labels or ())


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--second", nargs="*", type=Path, default=[], help="second-annotation files")
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    rows: dict[str, dict] = {}
    for path in args.inputs:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["request_id"] in rows:
                    continue
                if not row.get("labels_writer"):
                    row["labels_writer"] = _fmt(parse_labels(row["labels"]))
                rows[row["request_id"]] = row
    for path in args.second:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["request_id"] in rows:
                    rows[row["request_id"]]["labels_second"] = _fmt(parse_labels(row["labels"]))
    disagree = 0
    for row in rows.values():
        writer = parse_labels(row["labels_writer"])
        second = parse_labels(row.get("labels_second") or "")
        if second is None or (writer == ()) != (second == ()):
            disagree += second is not None
            row["labels"] = _fmt(writer)
        else:
            row["labels"] = _fmt(tuple(dict.fromkeys((*writer, *second))))
    strata: dict[str, list[dict]] = {}
    for row in rows.values():
        strata.setdefault(row["labels"].split(";")[0], []).append(row)
    for members in strata.values():
        fixed_test = sum(1 for r in members if r.get("split") == "test")
        new = sorted(
            (r for r in members if not r.get("split")),
            key=lambda r: hashlib.sha256(r["request_id"].encode()).hexdigest(),
        )
        want_test = round(TEST_SHARE * len(members)) - fixed_test
        for i, r in enumerate(new):
            r["split"] = "test" if i < want_test else "dev"
    ordered = sorted(rows.values(), key=lambda r: r["request_id"])
    with open(args.out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(ordered)
    counts = {s: sum(1 for r in ordered if r["split"] == s) for s in ("dev", "test")}
    print(
        f"{len(ordered)} rows -> {args.out} ({counts}); {disagree} in/out-of-scope disagreements "
        f"kept as the writer labelled them",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
