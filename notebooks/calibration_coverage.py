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
#    label, and which items have no supporting request at all.
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
    same_rows,
    use_japanese_font,
)
from classifier.predict import Predictor, card_min_confidence, display_heading
from classifier.store import load_model

ROOT = find_root()
OUT = figure_dir()
FONT = use_japanese_font()
pd.set_option("display.width", 200)
print(f"root: {ROOT}\nfigures: {OUT}\nfont: {FONT}")

# %%
inputs = notebook_inputs(LABELLED, MODEL, GOLD_COLUMN, SPLIT)
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
# All labelled in-scope requests, dev and test, counted under their **primary** label
# (the first one an analyst gave). Secondary labels are listed separately for context;
# they do not add to the amounts, so no yen is counted twice.


# %%
def coverage_table(policy, labelled) -> pd.DataFrame:
    """Per target item, in document order: requests and 要求額 (百万円) by primary label."""
    rows = []
    for c in policy.targets:
        primary = [r for r in labelled if r.labels and r.labels[0] == c.label]
        amounts = [r.amount for r in primary if r.amount is not None and r.amount == r.amount]
        rows.append(
            {
                "label": c.label,
                "heading": display_heading(policy, c.label),
                "requests": len(primary),
                # Unknown, not 0 yen, when none of the item's requests gives an amount.
                "amount": float(sum(amounts)) if amounts or not primary else np.nan,
                "amount_unknown": len(primary) - len(amounts),
                "secondary": sum(c.label in r.labels[1:] for r in labelled),
            }
        )
    return pd.DataFrame(rows)


def unsupported(coverage: pd.DataFrame) -> list[str]:
    """Items no labelled request supports as its primary label."""
    return list(coverage.loc[coverage["requests"] == 0, "label"])


in_scope = [r for r in requests if r.in_scope]
coverage = coverage_table(policy, in_scope)
empty = unsupported(coverage)
# An amount the file does not give is unknown, not 0 yen.
known = any(r.amount is not None for r in in_scope)
total = f"{coverage['amount'].sum():,.0f} 百万円" if known else "not given in this file"
print(
    f"{len(in_scope)} in-scope labelled requests, 要求額 {total} over {len(coverage)} policy items"
)
print("items with no supporting request:", ", ".join(heading(lab) for lab in empty) or "none")
display(
    coverage.assign(share=(coverage["amount"] / coverage["amount"].sum()).round(3))
    if known
    else coverage.drop(columns=["amount"])
)

# %% [markdown]
# The empty-item path, checked on data that certainly has an empty item (the first
# target's requests left out), so it is exercised even while every item is covered:

# %%
dropped = policy.targets[0].label
check = coverage_table(policy, [r for r in in_scope if r.labels[0] != dropped])
assert dropped in unsupported(check), unsupported(check)
assert check.loc[check["label"] == dropped, "amount"].item() == 0.0
print(f"without {dropped}'s requests, unsupported items: {unsupported(check)}")


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
