# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 確信度の較正と方針項目のカバレッジ — calibration and coverage
#
# 1. **Calibration**: is `confidence_k` (each ranked label's own probability of being one
#    of the request's items) on the **test split** as often right as it says? A
#    reliability diagram for slots 1–3 with their pooled expected calibration error
#    (ECE), and accuracy of label_1 per confidence band. As in
#    `classifier.evaluate`, these are over in-scope requests, and a hit is a top label
#    among the request's gold labels.
# 2. **Coverage**: how much budget (要求額, 百万円) and how many requests support each
#    policy item, over **all** labelled in-scope requests (dev and test) by their primary
#    label, and which items have no supporting request at all; then, on the **test
#    split**, the budget per item as the annotators place it against where the model
#    places it (what the classify summary sheet would report), and the money of the
#    programmes it misses or wrongly takes in.
#
# Figures are written to `$NOTEBOOK_OUTPUT_DIR` (default: a new temporary folder).

# %% tags=["parameters"]
# What to look at: your own reviewed sheet and model, or (None) the bundled labelled
# requests and models/r3. The environment variables NOTEBOOK_LABELLED, NOTEBOOK_MODEL,
# NOTEBOOK_GOLD_COLUMN and NOTEBOOK_SPLIT (``all``: every row) fill what is None here.
LABELLED = None  # e.g. "review.xlsx" (its accepted_label column is the gold)
MODEL = None  # e.g. "models/r4"
GOLD_COLUMN = None  # None: accepted_label in a review sheet, else labels
SPLIT = "test"  # rows whose split column says this (the model was trained on "dev")
# The programmes' 要求額: None reads the labelled file's 要求額 column (百万円); a 2-1
# budget file (NOTEBOOK_BUDGET) gives each programme's 翌年度要求額（合計） by 予算事業ID,
# e.g. "corpus/rs2024/2-1_RS_2024_予算・執行_サマリ.zip" for rs2024_dev.csv.
BUDGET = None
BINS = 10  # equal-width confidence bins of the reliability diagram

# %%
# ruff: noqa: E402 (matplotlib.use() must run before pyplot is imported)
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, display

from classifier.dataset import read_labelled
from classifier.metrics import (
    CONFIDENCE_BANDS,
    Scored,
    compute_metrics,
    expected_calibration_error,
    reliability,
)
from classifier.notebook import (
    check_with_evaluate,
    figure_dir,
    find_root,
    left_out_border,
    notebook_inputs,
    of_split,
    requested_yen,
    same_rows,
    use_japanese_font,
)
from classifier.predict import Predictor, card_min_confidence, display_heading
from classifier.store import load_model
from classifier.summary import SUMMARY_COLUMNS, TARGET, BudgetSummary, is_counted
from classifier.textutil import plural
from classifier.vocab import Status

ROOT = find_root()
OUT = figure_dir()
FONT = use_japanese_font()
pd.set_option("display.width", 200)
print(f"root: {ROOT}\nfigures: {OUT}\nfont: {FONT}")

# %%
inputs = notebook_inputs(LABELLED, MODEL, GOLD_COLUMN, SPLIT, BUDGET)
print(inputs)
# The evaluate command reads the same inputs first: what it refuses (a classified file as
# the answer key, another policy's labels) stops here, and what it warns of is shown.
check = check_with_evaluate(inputs)
for line in check.said:
    print(line)
model, card = load_model(inputs.model)
policy = model.policy_
min_confidence = card_min_confidence(card)
predictor = Predictor(model, policy, top_k=3, min_confidence=min_confidence)
requests = read_labelled(inputs.labelled, policy, label_column=inputs.gold_column).requests
SPLIT = inputs.split


def heading(label: str, width: int | None = None) -> str:
    """Label and readable heading, e.g. ``(2)③ⅰ 政府機関、独立行政法人等の…``."""
    text = display_heading(policy, label)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return f"{label} {text}"


# %% [markdown]
# ## Reliability diagram

# %%
split, border = left_out_border(of_split(requests, SPLIT, inputs.labelled))
if border:
    print(f"{border} BORDER rows left out (security named in passing), as evaluate does")
same_rows(len(split), check)
predictions = predictor.predict([r.text for r in split])
report = compute_metrics(
    [Scored(r.id, r.labels, p) for r, p in zip(split, predictions, strict=True)], predictor.columns
)

inside = [(r, p) for r, p in zip(split, predictions, strict=True) if r.in_scope]
confidence = np.array([p.confidences[0] if p.confidences else 0.0 for _, p in inside])
hit = np.array([bool(p.labels) and p.labels[0] in r.labels for r, p in inside], dtype=float)
ece = expected_calibration_error(confidence, hit, bins=BINS)
assert BINS != 10 or np.isclose(ece, report["ece"]), (ece, report["ece"])
print(
    f"{SPLIT or 'all rows'}: {len(split)} requests, {len(inside)} in scope; top-1 accuracy "
    f"{hit.mean():.3f}, mean confidence_1 {confidence.mean():.3f}, ECE {ece:.4f}"
)
# Each slot's confidence is its own probability that label_k is one of the gold labels.
slots = {}
for k in range(3):
    c = np.array([p.confidences[k] for _, p in inside if len(p.labels) > k])
    h = np.array([p.labels[k] in r.labels for r, p in inside if len(p.labels) > k], dtype=float)
    slots[k + 1] = (c, h)
ece_top3 = expected_calibration_error(
    np.concatenate([c for c, _ in slots.values()]),
    np.concatenate([h for _, h in slots.values()]),
    bins=BINS,
)
print(f"ECE over slots 1–3 pooled: {ece_top3:.4f}")
display(
    pd.DataFrame(
        [
            {"slot": k, "n": len(c), "mean confidence": c.mean(), "hit rate": h.mean()}
            for k, (c, h) in slots.items()
        ]
    ).round(3)
)

bins = pd.DataFrame(reliability(confidence, hit, bins=BINS))
bins["lo"] = [b[0] for b in bins["bin"]]
bins["hi"] = [b[1] for b in bins["bin"]]
display(bins[["lo", "hi", "n", "confidence", "accuracy"]].round(3))

# %%
fig, (ax, ax_n) = plt.subplots(
    2, 1, figsize=(6.5, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
)
width = 1.0 / BINS
colours = {1: "#4C72B0", 2: "#DD8452", 3: "#55A868"}
ax.plot([0, 1], [0, 1], ls="--", color="0.4", label="完全な較正")
counts = []
for k, (c, h) in slots.items():
    b = pd.DataFrame(reliability(c, h, bins=BINS))
    b = b[b["n"] > 0]
    ax.plot(
        b["confidence"],
        b["accuracy"],
        marker="o",
        color=colours[k],
        label=f"順位{k} (label_{k}) n={len(c)}",
    )
    for _, row in b.iterrows():
        ax.annotate(
            f"{row['n']}",
            (row["confidence"], row["accuracy"]),
            textcoords="offset points",
            xytext=(3, 3),
            fontsize=6,
            color=colours[k],
        )
    counts.append(np.histogram(c, bins=BINS, range=(0, 1))[0])
ax.set_xlim(0, 1)
ax.set_ylim(0, 1.05)
ax.set_ylabel("正解率 (その順位のラベルが正解ラベルの一つ)")
split_name = {"test": "テスト", "dev": "開発"}.get(SPLIT, SPLIT or "全")
ax.set_title(f"信頼性図 ({split_name}分割・対象内 {len(inside)} 件)  ECE(順位1–3) = {ece_top3:.3f}")
ax.legend(loc="upper left", fontsize=8)
lows = np.arange(BINS) / BINS
bottom = np.zeros(BINS)
for k, n in zip(slots, counts, strict=True):
    ax_n.bar(lows, n, width=width, align="edge", bottom=bottom, color=colours[k], edgecolor="white")
    bottom += n
ax_n.set_ylabel("件数")
ax_n.set_xlabel("確信度 (confidence_k)")
fig.tight_layout()
reliability_png = OUT / "reliability_diagram.png"
fig.savefig(reliability_png, dpi=120)
plt.close(fig)
display(Image(filename=str(reliability_png)))

# %% [markdown]
# ## Accuracy per confidence band
#
# The bands are those of `classifier.evaluate.CONFIDENCE_BANDS`; the model's
# `min_confidence` (below which a prediction gets the `low_confidence` status) is shown
# for reference. Out-of-scope flags are counted per band too: a request flagged out of
# scope is not shown to the analyst as a label even when its confidence is high.

# %%
flagged = np.array([p.status == "out_of_scope" for _, p in inside])
band_rows = []
for (lo, hi), from_report in zip(CONFIDENCE_BANDS, report["confidence_bands"], strict=True):
    mask = (confidence >= lo) & (confidence < hi)
    band_rows.append(
        {
            "band": f"{lo:.1f}–{min(hi, 1.0):.1f}",
            "n": int(mask.sum()),
            "share": mask.mean().round(3),
            "mean_confidence": confidence[mask].mean().round(3) if mask.any() else np.nan,
            "accuracy": hit[mask].mean().round(3) if mask.any() else np.nan,
            "flagged_out_of_scope": int(flagged[mask].sum()),
        }
    )
    assert band_rows[-1]["n"] == from_report["n"]
bands = pd.DataFrame(band_rows)
bands["gap (conf−acc)"] = (bands["mean_confidence"] - bands["accuracy"]).round(3)
print(f"min_confidence = {min_confidence}")
display(bands)

# %% [markdown]
# ## Coverage: budget and requests per policy item
#
# All labelled in-scope requests, dev and test, counted as the classify summary sheet
# counts predictions (`classifier.summary`): under their **primary** label (the first one
# an analyst gave), and under every label they have in `requests_any`; a repeated
# 予算事業ID counts once, and no yen is counted twice within a column. An amount the
# file does not give is unknown, not 0 yen: it is counted in `amount_unknown`.


# %%
def known_yen(requests) -> dict[str, int | None]:
    """Each request's 要求額 in yen: the 2-1 file's by 予算事業ID with BUDGET, else the
    labelled file's 要求額 column (百万円)."""
    if inputs.budget is not None:
        found, notes = requested_yen([r.id for r in requests], inputs.budget)
        for line in notes:
            print(line)
        return found
    return {
        r.id: None if r.amount is None or r.amount != r.amount else round(r.amount * 1e6)
        for r in requests
    }


def summarise(rows, yen: dict[str, int | None]) -> pd.DataFrame:
    """The summary sheet's target rows over ``rows`` of (id, status, label_1, label set),
    要求額 in 百万円 (NaN where every counted programme's amount is unknown)."""
    summary = BudgetSummary(policy, predictor.columns)
    seen: set[str] = set()
    for ident, status, label_1, label_set in rows:
        # Only 要求額 is read here: the initial budget stands in as 0 when the request is
        # known, so programmes_budget_unknown counts the programmes without a 要求額.
        request = yen[ident]
        initial = None if request is None else 0
        summary.add(status, label_1, label_set, initial, request, duplicate=ident in seen)
        seen.add(ident)
    table = pd.DataFrame(summary.rows(), columns=list(SUMMARY_COLUMNS))
    table = table[table["kind"] == TARGET].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "label": table["label"],
            "heading": table["heading"],
            "requests": table["programmes"],
            "amount": table["budget_request_yen"] / 1e6,
            "amount_unknown": table["programmes_budget_unknown"],
            "requests_any": table["programmes_any"],
            "amount_any": table["budget_request_yen_any"] / 1e6,
        }
    )
    # Unknown, not 0 yen, when none of the item's programmes gives an amount.
    out.loc[(out["requests"] > 0) & (out["amount_unknown"] == out["requests"]), "amount"] = np.nan
    none_any = table["programmes_budget_unknown_any"] == table["programmes_any"]
    out.loc[(out["requests_any"] > 0) & none_any, "amount_any"] = np.nan
    return out


def gold_rows(requests):
    """(id, status, label_1, label set) as the annotators label each request."""
    for r in requests:
        status = Status.OK if r.in_scope else Status.OUT_OF_SCOPE
        yield r.id, status, r.labels[0] if r.labels else "", r.labels


def unsupported(coverage: pd.DataFrame) -> list[str]:
    """Items no labelled request supports as its primary label."""
    return list(coverage.loc[coverage["requests"] == 0, "label"])


labelled_in, border_all = left_out_border(requests)
if border_all:
    print(f"{border_all} BORDER programmes left out: they count toward no item's budget")
in_scope = [r for r in labelled_in if r.in_scope]
yen = known_yen(requests)
coverage = summarise(gold_rows(in_scope), yen)
empty = unsupported(coverage)
known = any(yen[r.id] is not None for r in in_scope)
total = f"{coverage['amount'].sum():,.0f} 百万円" if known else "not given in this file"
programmes = {r.id for r in in_scope}
# Every programme counts under exactly one primary item, once: the items' sums are the
# programmes' amounts summed.
assert np.isclose(np.nansum(coverage["amount"]), sum(yen[i] or 0 for i in programmes) / 1e6)
n_items = len(coverage)
print(f"{len(programmes)} in-scope labelled requests, 要求額 {total} over {n_items} policy items")
print("items with no supporting request:", ", ".join(heading(lab) for lab in empty) or "none")
display(
    coverage.assign(share=(coverage["amount"] / coverage["amount"].sum()).round(3)).round(1)
    if known
    else coverage.drop(columns=["amount", "amount_any"])
)

# %% [markdown]
# The empty-item path, checked on data that certainly has an empty item (the first
# target's requests left out), so it is exercised even while every item is covered:

# %%
dropped = policy.targets[0].label
check = summarise(gold_rows([r for r in in_scope if r.labels[0] != dropped]), yen)
assert dropped in unsupported(check), unsupported(check)
assert check.loc[check["label"] == dropped, "amount"].item() == 0.0
print(f"without {dropped}'s requests, unsupported items: {unsupported(check)}")

# %% [markdown]
# ## Budget per item on the test split: the annotators' against the model's
#
# The rows the reliability diagram scores (the model never learnt from them). For each
# item: the programmes and 要求額 whose primary gold label it is, against those the
# model calls in scope with it as `label_1` (what the classify summary sheet would report
# for these rows). Below the table, the money on either side of the scope boundary: in-scope
# programmes the model calls out of scope (missing from every item), and out-of-scope
# programmes it takes in (counted under some item).

# %%
predicted = summarise(
    (
        (r.id, p.status, p.labels[0] if p.labels else "", p.label_set)
        for r, p in zip(split, predictions, strict=True)
    ),
    yen,
)
gold = summarise(gold_rows(split), yen)
budget_by_item = pd.DataFrame(
    {
        "item": [heading(lab, 28) for lab in gold["label"]],
        "gold_requests": gold["requests"],
        "model_requests": predicted["requests"],
        "gold_要求額": gold["amount"].round(0),
        "model_要求額": predicted["amount"].round(0),
    }
)
budget_by_item["difference"] = budget_by_item["model_要求額"] - budget_by_item["gold_要求額"]
shown = budget_by_item[(budget_by_item["gold_requests"] + budget_by_item["model_requests"]) > 0]
display(shown.reset_index(drop=True))


def money(rows) -> str:
    """How many programmes and their 要求額, e.g. ``4 programmes, 1,234 百万円 (1 unknown)``."""
    ids = list(dict.fromkeys(r.id for r in rows))
    amounts = [yen[i] for i in ids if yen[i] is not None]
    unknown = len(ids) - len(amounts)
    return f"{plural(len(ids), 'programme')}, {sum(amounts) / 1e6:,.0f} 百万円" + (
        f" ({unknown} of unknown amount)" if unknown else ""
    )


counted = {r.id for r, p in zip(split, predictions, strict=True) if is_counted(p.status)}
missed = [r for r in split if r.in_scope and r.id not in counted]
taken_in = [r for r in split if not r.in_scope and r.id in counted]
wrong_item = [
    r
    for r, p in zip(split, predictions, strict=True)
    if r.in_scope and r.id in counted and p.labels[0] != r.labels[0]
]
print(f"in scope, called out of scope by the model (in no item): {money(missed)}")
print(f"out of scope, taken in by the model (counted under an item): {money(taken_in)}")
print(f"in scope and found, under another primary item than the gold one: {money(wrong_item)}")
# The programmes behind the first two lines, the largest first: one large programme missed
# moves an item's sum more than many small ones.
scope_errors = pd.DataFrame(
    [
        {
            "side": "missed" if r.in_scope else "taken in",
            "id": r.id,
            "text": r.text.splitlines()[0][:40],
            "要求額 (百万円)": np.nan if yen[r.id] is None else round(yen[r.id] / 1e6, 1),
            "in_scope": round(p.in_scope, 3),
            "gold": ";".join(r.labels),
            "label_1": p.labels[0] if p.labels else "",
        }
        for r, p in zip(split, predictions, strict=True)
        if r.in_scope != (r.id in counted)  # missed, or taken in
    ]
)
if len(scope_errors):
    display(scope_errors.sort_values("要求額 (百万円)", ascending=False, na_position="last"))


# %%
def plot_coverage(coverage: pd.DataFrame, path: Path, title: str) -> Path:
    """Horizontal bars of 要求額 and request count per item; items with none marked in red."""
    n = len(coverage)
    y = np.arange(n)
    empty = coverage["requests"] == 0
    colours = np.where(empty, "#C44E52", "#4C72B0")
    fig, (ax_a, ax_n) = plt.subplots(
        1, 2, figsize=(13, 0.36 * n + 1.8), sharey=True, gridspec_kw={"width_ratios": [3, 1.4]}
    )
    ax_a.barh(y, coverage["amount"], color=colours)
    ax_n.barh(y, coverage["requests"], color=colours)
    for i in np.flatnonzero(empty.to_numpy()):
        for ax in (ax_a, ax_n):
            ax.text(0, i, " 要求なし", va="center", ha="left", color="#C44E52", fontsize=8)
    for i, (a, k, unknown) in enumerate(
        zip(coverage["amount"], coverage["requests"], coverage["amount_unknown"], strict=True)
    ):
        if k:
            note = f" (額不明 {unknown} 件)" if unknown else ""
            shown = "額不明" if np.isnan(a) else f"{a:,.0f}{note}"
            ax_a.text(0 if np.isnan(a) else a, i, f" {shown}", va="center", fontsize=7)
            ax_n.text(k, i, f" {k}", va="center", fontsize=7)
    labels = [heading(lab, 26) for lab in coverage["label"]]
    ax_a.set_yticks(y, labels, fontsize=8)
    for tick, is_empty in zip(ax_a.get_yticklabels(), empty, strict=True):
        if is_empty:
            tick.set_color("#C44E52")
    ax_a.invert_yaxis()
    ax_a.set_xlabel("要求額 (百万円)")
    ax_n.set_xlabel("要求件数")
    ax_a.set_xlim(0, max(np.nan_to_num(coverage["amount"].max()), 1) * 1.15)
    ax_n.set_xlim(0, max(coverage["requests"].max(), 1) * 1.2)
    n_empty = int(empty.sum())
    fig.suptitle(
        f"{title}  (要求のない項目: {n_empty} 件"
        + (f" — {', '.join(coverage.loc[empty, 'label'])}" if n_empty else "")
        + ")"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


coverage_png = plot_coverage(
    coverage,
    OUT / "coverage_by_item.png",
    f"方針項目ごとの要求額と件数 (ラベル付き対象内 {len(in_scope)} 件、主ラベル)",
)
display(Image(filename=str(coverage_png)))
