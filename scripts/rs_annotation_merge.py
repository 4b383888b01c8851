"""Merge the two independent annotation passes of the RS 2024 sample into the labelled file.

    python scripts/rs_annotation_merge.py --passes /tmp/annotation \
        -o corpus/labelled/rs2024_dev.csv

Reads ``pass_A/batch_*.csv`` and ``pass_B/batch_*.csv`` (``予算事業ID,scope,labels,note``),
checks both passes cover exactly the drawn sample, reconciles them by the rule written in
corpus/labelled/README.md, prints the agreement figures, and writes one row per annotated
programme with its texts, both passes and the reconciled ``scope`` and ``labels``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

import _bootstrap  # noqa: F401
from rs_annotation_sample import TEXT_FIELDS, read_programmes, sample

from classifier.labels import format_labels, parse_labels
from classifier.sources.rs import split_of

SCOPES = ("IN", "BORDER", "OUT")
COLUMNS = [
    "予算事業ID",
    "府省庁",
    "局・庁",
    *TEXT_FIELDS,
    "stratum",
    "weight",
    "split",
    "scope",
    "labels",
    "scope_a",
    "labels_a",
    "note_a",
    "scope_b",
    "labels_b",
    "note_b",
]


def read_pass(folder: Path) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("batch_*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                ident = row["予算事業ID"].strip()
                if ident in rows:
                    raise SystemExit(f"{path}: {ident} annotated twice")
                if row["scope"] not in SCOPES:
                    raise SystemExit(f"{path}: {ident} has scope {row['scope']!r}")
                rows[ident] = row
    return rows


def reconcile(a: dict[str, str], b: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The rule: scope where the passes agree, else BORDER; labels the union, with the
    primary label one both passes list (A's first), else A's primary."""
    scope = a["scope"] if a["scope"] == b["scope"] else "BORDER"
    if scope == "OUT":
        return scope, ()
    la = parse_labels(a["labels"]) or ()
    lb = parse_labels(b["labels"]) or ()
    if not la or not lb:
        return scope, la or lb
    if la[0] in lb:
        primary = la[0]
    elif lb[0] in la:
        primary = lb[0]
    else:
        primary = la[0]
    return scope, tuple(dict.fromkeys((primary, *la, *lb)))


def kappa(pairs: list[tuple[str, str]]) -> float:
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(ca[k] * cb[k] for k in SCOPES) / n / n
    return (observed - expected) / (1 - expected)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passes", type=Path, required=True)
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    pass_a, pass_b = read_pass(args.passes / "pass_A"), read_pass(args.passes / "pass_B")
    programmes = read_programmes()
    chosen = sample(programmes)
    ids = [r["予算事業ID"] for r, _ in chosen]
    n_random = sum(1 for _, s in chosen if s == "random")
    n_others = len(programmes) - (len(chosen) - n_random)
    # Each sampled programme without a pattern term stands for this many of its stratum.
    weights = {"pattern": "1", "random": f"{n_others / n_random:.6g}"}
    for name, rows in (("A", pass_a), ("B", pass_b)):
        if set(rows) != set(ids):
            raise SystemExit(f"pass {name} does not cover exactly the sample")
    out = []
    for row, stratum in sorted(chosen, key=lambda x: int(x[0]["予算事業ID"])):
        ident = row["予算事業ID"]
        a, b = pass_a[ident], pass_b[ident]
        scope, labels = reconcile(a, b)
        out.append(
            {
                **{k: row[k] for k in ("予算事業ID", "府省庁", "局・庁", *TEXT_FIELDS)},
                "stratum": stratum,
                "weight": weights[stratum],
                "split": split_of(ident),
                "scope": scope,
                "labels": format_labels(labels),
                "scope_a": a["scope"],
                "labels_a": a["labels"],
                "note_a": a["note"],
                "scope_b": b["scope"],
                "labels_b": b["labels"],
                "note_b": b["note"],
            }
        )
    with open(args.out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(out)
    pairs = [(pass_a[i]["scope"], pass_b[i]["scope"]) for i in ids]
    both_in = [i for i in ids if pass_a[i]["scope"] == pass_b[i]["scope"] == "IN"]
    prim_a = [(parse_labels(pass_a[i]["labels"]) or ("",))[0] for i in both_in]
    prim_b = [(parse_labels(pass_b[i]["labels"]) or ("",))[0] for i in both_in]
    in_other = sum(
        pa in (parse_labels(pass_b[i]["labels"]) or ())
        for pa, i in zip(prim_a, both_in, strict=True)
    )
    print(
        f"{len(ids)} programmes; scope agreement {sum(x == y for x, y in pairs) / len(ids):.3f}, "
        f"Cohen's kappa {kappa(pairs):.3f}; confusion (A, B): "
        f"{dict(sorted(Counter(pairs).items()))}\n"
        f"both IN: {len(both_in)}; primary labels equal {sum(map(str.__eq__, prim_a, prim_b))}, "
        f"A's primary among B's labels {in_other}\n"
        f"reconciled: {dict(Counter(r['scope'] for r in out))}; "
        f"by split: {dict(Counter((r['split'], r['scope']) for r in out))} -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
