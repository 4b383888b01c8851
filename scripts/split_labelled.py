"""Merge labelled request files into corpus/labelled/requests.csv with a fixed dev/test split.

A row keeps the split it already has; a new row is assigned by a hash of its request_id
within its primary-label stratum, so about 30% of every label goes to test. Run once
when rows are added; never re-draw the split to chase a better test score.

    python scripts/split_labelled.py corpus/labelled/requests.csv NEW.csv -o corpus/labelled/requests.csv
"""

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import _bootstrap  # noqa: F401

from classifier.labels import parse_labels

COLUMNS = ["request_id", "府省庁", "事業名", "事業概要", "要求額", "labels", "split"]
TEST_SHARE = 0.3


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    rows: dict[str, dict] = {}
    for path in args.inputs:
        if not path.exists():
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                labels = parse_labels(row["labels"])
                row["labels"] = "NONE" if labels == () else ";".join(labels or ())
                rows.setdefault(row["request_id"], row)
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
    print(f"{len(ordered)} rows -> {args.out} ({counts})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
