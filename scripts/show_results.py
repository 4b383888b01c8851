"""Print a classified file as a compact table (used by `make run`).

python scripts/show_results.py out/requests_example.classified.csv
"""

import csv
import sys
import unicodedata


def _fit(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - 1:
            return out + "…" + " " * (width - used - 1)
        out += ch
        used += w
    return out + " " * (width - used)


def main(path: str) -> int:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    name = next((c for c in ("事業名", "text", "事業概要") if rows and c in rows[0]), None)
    print(_fit("事業名", 34), _fit("label_1", 9), "conf ", _fit("heading_1", 40), "status")
    for r in rows:
        print(
            _fit(r.get(name, "") if name else "", 34),
            _fit(r["label_1"], 9),
            f"{float(r['confidence_1']):.2f} " if r["confidence_1"] else "     ",
            _fit(r["heading_1"], 40),
            r["status"],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
