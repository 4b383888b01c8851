"""Draw the annotation sample of the RS 2024 development half, and its fixed split.

    python scripts/rs_annotation_sample.py --out /tmp/annotation   # batch files to annotate

The sample is every programme whose text matches the broad cyber-term pattern
(``classifier.sources.rs.SAMPLE_PATTERN``) plus a fixed random sample of the others; the
split is a hash of the 予算事業ID over *all* programmes of the half, so unannotated
programmes of the test split are never learnt from either. Both are deterministic:
rerunning gives the same rows. Batches interleave matched and sampled programmes (in hash
order) so an annotator cannot tell which is which.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import _bootstrap  # noqa: F401

from classifier.sources.rs import TEXT_FIELDS, matches_sample_pattern, programme_text, split_of

ROOT = Path(__file__).resolve().parent.parent
RS_TEXTS = ROOT / "corpus" / "rs2024" / "1-2_RS_2024_基本情報_事業概要等.zip"
N_RANDOM = 320
N_BATCHES = 4


def _hash(salt: str, ident: str) -> int:
    return int(hashlib.sha256(f"{salt}:{ident}".encode()).hexdigest(), 16)


def read_programmes(path: Path = RS_TEXTS) -> list[dict[str, str]]:
    """The 1-2 rows, first row of each 予算事業ID (repeats differ only in 主要経費)."""
    with zipfile.ZipFile(path) as zf:
        (name,) = zf.namelist()
        text = zf.read(name).decode("utf-8-sig")
    seen: set[str] = set()
    out = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        if row["予算事業ID"] not in seen:
            seen.add(row["予算事業ID"])
            out.append(row)
    return out


def matches(row: dict[str, str]) -> bool:
    return matches_sample_pattern(programme_text(row))


def sample(rows: list[dict[str, str]]) -> list[tuple[dict[str, str], str]]:
    """``(row, stratum)`` of every annotated programme, in batch order."""
    matched = [r for r in rows if matches(r)]
    others = sorted(
        (r for r in rows if not matches(r)), key=lambda r: _hash("rs2024-sample", r["予算事業ID"])
    )
    chosen = [(r, "pattern") for r in matched] + [(r, "random") for r in others[:N_RANDOM]]
    return sorted(chosen, key=lambda x: _hash("rs2024-order", x[0]["予算事業ID"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for batch_N.md and sample.csv")
    args = ap.parse_args()
    rows = read_programmes()
    chosen = sample(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "sample.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["予算事業ID", "stratum", "split", "batch"])
        for i, (r, stratum) in enumerate(chosen):
            w.writerow([r["予算事業ID"], stratum, split_of(r["予算事業ID"]), i % N_BATCHES + 1])
    for b in range(N_BATCHES):
        part = [r for i, (r, _) in enumerate(chosen) if i % N_BATCHES == b]
        with open(args.out / f"batch_{b + 1}.md", "w", encoding="utf-8") as fh:
            fh.write(f"# Batch {b + 1}: {len(part)} programmes\n\n")
            for r in part:
                fh.write(f"## 予算事業ID {r['予算事業ID']}\n")
                fh.write(f"- 府省庁: {r['府省庁']} {r['局・庁']}\n- 事業名: {r['事業名']}\n")
                for f in TEXT_FIELDS[1:]:
                    fh.write(f"- {f}: {r[f].strip()}\n")
                fh.write("\n")
    n_pattern = sum(1 for _, s in chosen if s == "pattern")
    print(
        f"{len(rows)} programmes; {n_pattern} match the pattern, {len(chosen) - n_pattern} "
        f"sampled of {len(rows) - n_pattern} others -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
