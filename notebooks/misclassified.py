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
# # 誤分類の探索 — misclassified test-split requests
#
# Which requests of the **test split** does the committed model (`models/r3`) get wrong,
# what did it confuse them with, and which words pulled them there?
#
# A row counts as misclassified exactly as in `scripts/evaluate.py --misclassified`:
# an in-scope request whose top label is not among its gold labels (*wrong item*) or that
# was flagged out of scope (*flagged out of scope*), and an out-of-scope request that was
# not flagged (*out of scope not flagged*).
#
# Set the filters in the next cell and re-run the notebook. Figures are written to
# `$NOTEBOOK_OUTPUT_DIR` (default: a new temporary folder).

# %% tags=["parameters"]
# What to look at: your own reviewed sheet and model, or (None) the bundled labelled
# requests and models/r3. The environment variables NOTEBOOK_LABELLED, NOTEBOOK_MODEL,
# NOTEBOOK_GOLD_COLUMN and NOTEBOOK_SPLIT (``all``: every row) fill what is None here.
LABELLED = None  # e.g. "review.xlsx" (its accepted_label column is the gold)
MODEL = None  # e.g. "models/r4"
GOLD_COLUMN = None  # None: accepted_label in a review sheet, else labels
SPLIT = "test"

# Filters (None = no filter).
# ITEM: a label such as "(2)③ⅰ" or a prefix such as "(2)③" / "(1)"; matches gold or predicted.
ITEM = None
MINISTRY = None  # 府省庁, e.g. "総務省" (substring match)
MIN_CONFIDENCE = 0.0  # confidence_1 range kept
MAX_CONFIDENCE = 1.0
ERROR = None  # "wrong item" | "flagged out of scope" | "out of scope not flagged"
REQUEST_ID = None  # show one request in the side-by-side view, e.g. "A002"
SHOW = 3  # how many filtered rows the side-by-side and term views show
TOP_TERMS = 8  # contributing features shown per request

# %%
# ruff: noqa: E402 (matplotlib.use() must run before pyplot is imported)
import html
import re
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Image, display

from classifier.dataset import read_labelled
from classifier.metrics import area_of
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
pd.set_option("display.max_colwidth", 80)
pd.set_option("display.width", 200)
print(f"root: {ROOT}\nfigures: {OUT}\nfont: {FONT}")

# %% [markdown]
# ## Model, policy and test-split predictions

# %%
inputs = notebook_inputs(LABELLED, MODEL, GOLD_COLUMN, SPLIT)
print(inputs)
# The evaluate command reads the same inputs first: what it refuses (a classified file as
# the answer key, another policy's labels) stops here, and what it warns of is shown. Its
# misclassified rows go to a new file of their own, compared with the notebook's below.
cli_csv = Path(tempfile.mkdtemp(prefix="notebook-misclassified-")) / "misclassified_cli.csv"
check = check_with_evaluate(inputs, misclassified=cli_csv)
for line in check.said:
    print(line)
model, card = load_model(inputs.model)
policy = model.policy_
min_confidence = card_min_confidence(card)
predictor = Predictor(model, policy, top_k=3, min_confidence=min_confidence)
class_index = {lab: i for i, lab in enumerate(model.classes_)}

requests = read_labelled(inputs.labelled, policy, label_column=inputs.gold_column).requests
test, border = left_out_border(of_split(requests, inputs.split, inputs.labelled))
if border:
    print(f"{border} BORDER rows left out (security named in passing), as evaluate does")
same_rows(len(test), check)
predictions = predictor.predict([r.text for r in test])
print(
    f"{len(test)} {inputs.split or 'labelled'} requests "
    f"({sum(r.in_scope for r in test)} in scope), "
    f"model learnt from {card['labelled']['n_used_for_training']:,} texts of the dev split "
    f"({card['labelled']['n_dev']:,} labelled rows, and sentences taken from annotated "
    "programmes)"
)


def heading(label: str, width: int | None = None) -> str:
    """Label and readable heading, e.g. ``(2)③ⅰ 政府機関、独立行政法人等の…``."""
    if label == "NONE":
        return "対象外"
    text = display_heading(policy, label)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return f"{label} {text}"


def error_kind(r, p) -> str | None:
    """The evaluate CLI's error category, or None when the row is right."""
    first = p.labels[0] if p.labels else ""
    if r.in_scope:
        if first in r.labels and p.status != "out_of_scope":
            return None
        return "flagged out of scope" if p.status == "out_of_scope" else "wrong item"
    return None if p.status == "out_of_scope" else "out of scope not flagged"


rows = []
for r, p in zip(test, predictions, strict=True):
    rows.append(
        {
            "id": r.id,
            "府省庁": r.ministry,
            "要求額": r.amount,
            "事業名": r.text.split("\n")[0],
            "gold": ";".join(r.labels) or "NONE",
            "gold_1": r.labels[0] if r.labels else "NONE",
            "error": error_kind(r, p),
            "label_1": p.labels[0] if p.labels else "",
            "confidence_1": p.confidences[0] if p.confidences else 0.0,
            "label_2": p.labels[1] if len(p.labels) > 1 else "",
            "confidence_2": p.confidences[1] if len(p.confidences) > 1 else np.nan,
            "label_3": p.labels[2] if len(p.labels) > 2 else "",
            "in_scope_p": p.in_scope,
            "status": p.status,
            "evidence": "、".join(p.evidence),
            "text": r.text,
        }
    )
results = pd.DataFrame(rows)
misclassified = results[results["error"].notna()].reset_index(drop=True)
print(misclassified["error"].value_counts().to_string())

# %% [markdown]
# The same rows as the evaluate command finds (a guard against this notebook drifting
# from the CLI's definition):

# %%
cli = pd.read_csv(cli_csv, encoding="utf-8-sig", dtype=str)
assert set(cli["id"]) == set(misclassified["id"]), set(cli["id"]) ^ set(misclassified["id"])
print(f"CLI and notebook agree on {len(cli)} misclassified rows")

# %% [markdown]
# ## Table of misclassified rows (filtered)

# %%
ERROR_ORDER = {"wrong item": 0, "flagged out of scope": 1, "out of scope not flagged": 2}


def matches_item(label_cell: str, item: str) -> bool:
    return any(lab == item or lab.startswith(item) for lab in label_cell.split(";"))


# A filter value that matches nothing by its spelling is a typo, not "no rows": say so.
if ERROR is not None and ERROR not in ERROR_ORDER:
    raise ValueError(f"ERROR = {ERROR!r} is none of {', '.join(map(repr, ERROR_ORDER))}")
if ITEM is not None and not any(matches_item(lab, ITEM) for lab in policy.labels):
    raise ValueError(
        f"ITEM = {ITEM!r} is no label or label prefix of policy {policy.policy_id} "
        f"(its areas: {', '.join(c.label for c in policy.clauses if c.level == 'area')})"
    )
if REQUEST_ID is not None and REQUEST_ID not in set(misclassified["id"]):
    right = REQUEST_ID in set(results["id"])
    where = "the id of a row the model got right" if right else "no id of the rows read"
    raise ValueError(f"REQUEST_ID = {REQUEST_ID!r} is {where}, not of a misclassified row")
view = misclassified
if ITEM is not None:
    view = view[
        view["gold"].map(lambda g: matches_item(g, ITEM))
        | view["label_1"].map(lambda g: matches_item(g, ITEM))
    ]
if MINISTRY is not None:
    view = view[view["府省庁"].str.contains(MINISTRY, regex=False)]
if ERROR is not None:
    view = view[view["error"] == ERROR]
view = view[view["confidence_1"].between(MIN_CONFIDENCE, MAX_CONFIDENCE)]
# Wrong items first, then flagged / unflagged out-of-scope errors; most confident first.
view = (
    view.assign(_kind=view["error"].map(ERROR_ORDER))
    .sort_values(["_kind", "confidence_1", "id"], ascending=[True, False, True])
    .drop(columns="_kind")
    .reset_index(drop=True)
)
print(
    f"{len(view)} of {len(misclassified)} misclassified rows pass the filters "
    f"(ITEM={ITEM!r}, MINISTRY={MINISTRY!r}, confidence {MIN_CONFIDENCE}–{MAX_CONFIDENCE}, "
    f"ERROR={ERROR!r})"
)
display(
    view[
        [
            "id",
            "府省庁",
            "要求額",
            "事業名",
            "gold",
            "error",
            "label_1",
            "confidence_1",
            "label_2",
            "confidence_2",
            "status",
            "evidence",
        ]
    ]
)

# %% [markdown]
# Per ministry and per gold item, how many test requests are misclassified:

# %%
per_ministry = (
    results.assign(wrong=results["error"].notna())
    .groupby("府省庁")["wrong"]
    .agg(n="size", misclassified="sum")
    .assign(rate=lambda d: (d["misclassified"] / d["n"]).round(3))
    .sort_values(["misclassified", "n"], ascending=False)
)
display(per_ministry[per_ministry["misclassified"] > 0])
per_item = (
    results.assign(wrong=results["error"].notna())
    .groupby("gold_1")["wrong"]
    .agg(n="size", misclassified="sum")
    .assign(rate=lambda d: (d["misclassified"] / d["n"]).round(3))
)
per_item.index = [heading(lab, 24) for lab in per_item.index]
display(per_item[per_item["misclassified"] > 0].sort_values("misclassified", ascending=False))

# %% [markdown]
# ## Which terms pulled each request
#
# For the first `SHOW` filtered rows (or `REQUEST_ID`): the request text beside the text
# of the clause it was confused with and of its gold clause, with the pulling terms
# marked; then a table of its features, each with the request's own surface words (`t:`
# features are thesaurus concepts, `w:` normalised words):
#
# - `contrib→予測`, `contrib→正解`: `model.contributions(x, class)`, the feature's push
#   towards the predicted and the gold class through the blended scorers' linear weights
#   (positive pushes only, and blind to the softmax competition between classes);
# - `Δlogp→予測`, `Δlogp→正解`: how much the log-probability of that class drops when
#   the feature is removed from the request (occlusion through `model.score_docs`, so
#   every scorer, the competition and the calibration count);
# - `傾き`: `Δlogp→予測 − Δlogp→正解`, how far the term tilted the request from its gold
#   item towards the prediction.

# %%
print("blend weights:", dict(zip(("proto", "centroid", "lr"), model.blend_.round(3), strict=True)))


def analysed(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """Features of a text and, per feature, the surface words that produced it."""
    pairs = model.tokenizer_.analyze(text)
    surfaces: dict[str, list[str]] = {}
    for feature, surface in pairs:
        surfaces.setdefault(feature, [])
        if surface not in surfaces[feature]:
            surfaces[feature].append(surface)
    return [f for f, _ in pairs], surfaces


def occlusion(features: list[str], labels: list[str]) -> pd.DataFrame:
    """Per feature: the drop in log-probability of each label when it is removed."""
    unique = list(dict.fromkeys(features))
    docs = [features] + [[f for f in features if f != u] for u in unique]
    proba = model.score_docs(docs).proba
    logp = np.log(np.clip(proba[:, [class_index[lab] for lab in labels]], 1e-12, None))
    return pd.DataFrame(logp[0] - logp[1:], index=unique, columns=labels)


def terms_table(row) -> pd.DataFrame:
    """Top features pulling a request to its predicted label (and away from its gold one)."""
    features, surfaces = analysed(row["text"])
    x = model.transform([features])[0]
    pred, gold = row["label_1"], row["gold_1"]
    labels = [pred] if gold in ("NONE", pred) else [pred, gold]
    table = pd.DataFrame(index=list(dict.fromkeys(features)))
    table["surface"] = ["、".join(surfaces[f]) for f in table.index]
    delta = occlusion(features, labels)
    for label, name in zip(labels, ("予測", "正解"), strict=False):
        table[f"contrib→{name}"] = pd.Series(model.contributions(x, class_index[label]))
        table[f"Δlogp→{name}"] = delta[label]
    if len(labels) == 2:
        table["傾き"] = table["Δlogp→予測"] - table["Δlogp→正解"]
    table = table.fillna(0.0).sort_values(["contrib→予測", "Δlogp→予測"], ascending=False)
    return table[table["contrib→予測"] > 0].head(TOP_TERMS).round(3)


def highlight(text: str, words: list[str]) -> str:
    """HTML of ``text`` with each of ``words`` (two characters or more) marked."""
    words = sorted({w for w in words if len(w) >= 2}, key=len, reverse=True)
    if not words:
        return html.escape(text).replace("\n", "<br>")
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [html.escape(text[last : m.start()]), f"<mark>{html.escape(m.group())}</mark>"]
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def clause_text(label: str) -> str:
    if label in ("", "NONE"):
        return "(対象外: 方針の項目なし)"
    c = policy.clause(label)
    path = " ＞ ".join(
        policy.clause(a).heading or a
        for a in reversed(policy.ancestors(label))
        if a in policy.labels and policy.clause(a).depth >= 1
    )
    return (f"[{path}]\n" if path else "") + (f"{c.heading}\n" if c.heading else "") + c.text


def side_by_side(row, words: list[str]) -> HTML:
    """Request text | clause it was confused with | its gold clause, key terms marked."""
    cell = "style='vertical-align:top;text-align:left;width:33%;padding:6px'"
    pred, gold = row["label_1"], row["gold_1"]
    note = "" if pred not in row["gold"].split(";") else " (正解だが対象外と判定)"
    head = (
        f"<tr><th {cell}>{html.escape(row['id'])} {html.escape(row['府省庁'])} "
        f"— {html.escape(row['error'])}</th>"
        f"<th {cell}>予測 {html.escape(heading(pred, 30))} ({row['confidence_1']:.3f}){note}</th>"
        f"<th {cell}>正解 {html.escape(heading(gold, 30))}</th></tr>"
    )
    body = (
        f"<tr><td {cell}>{highlight(row['text'], words)}</td>"
        f"<td {cell}>{highlight(clause_text(pred), words)}</td>"
        f"<td {cell}>{highlight(clause_text(gold), words)}</td></tr>"
    )
    return HTML(f"<table style='table-layout:fixed;width:100%'>{head}{body}</table>")


shown = view if REQUEST_ID is None else misclassified[misclassified["id"] == REQUEST_ID]
for _, row in shown.head(SHOW).iterrows():
    terms = terms_table(row)
    words = [w for s in terms["surface"] for w in s.split("、") if w]
    words += [w for w in row["evidence"].split("、") if w]
    words += [f.split(":", 1)[-1] for f in terms.index]  # normalised forms, as clauses spell them
    display(side_by_side(row, words))
    print(
        f"{row['id']}: gold {row['gold']}  predicted {row['label_1']} "
        f"({row['confidence_1']:.3f}, {row['status']})  evidence: {row['evidence']}"
    )
    display(terms)

# %% [markdown]
# ## Sibling confusions
#
# Confusions between items that share a parent (e.g. `(2)③ⅰ` vs `(2)③ⅱ`, or `(1)①` vs
# `(1)③`), and between an item and its own parent or child (`(2)③` vs `(2)③ⅰ`): the
# policy's structure makes these the hardest calls. Other in-scope confusions are counted
# as *same area* or *other area*.


# %%
def relation(gold: str, pred: str) -> str:
    if "NONE" in (gold, pred) or not pred:
        return "対象外の誤り"
    g, p = policy.clause(gold), policy.clause(pred)
    if g.parent == p.parent:
        return "兄弟 (同じ親)"
    if pred in policy.ancestors(gold) or gold in policy.ancestors(pred):
        return "親子"
    return "同じ分野" if area_of(gold) == area_of(pred) else "別分野"


wrong = misclassified[misclassified["error"] == "wrong item"].copy()
wrong["relation"] = [relation(g, p) for g, p in zip(wrong["gold_1"], wrong["label_1"], strict=True)]
display(wrong["relation"].value_counts().rename("n").to_frame())


def common_parent(gold: str, pred: str) -> str:
    g, p = policy.clause(gold), policy.clause(pred)
    parent = (
        g.parent if g.parent == p.parent else (pred if pred in policy.ancestors(gold) else gold)
    )
    c = policy.clause(parent)
    return f"{parent} {c.heading or ''}".strip()


siblings = wrong[wrong["relation"].isin(["兄弟 (同じ親)", "親子"])]
sibling_table = (
    siblings.assign(
        parent=[
            common_parent(g, p)
            for g, p in zip(siblings["gold_1"], siblings["label_1"], strict=True)
        ]
    )
    .groupby(["parent", "relation", "gold_1", "label_1"])
    .agg(n=("id", "size"), ids=("id", ", ".join), mean_confidence=("confidence_1", "mean"))
    .reset_index()
    .sort_values(["n", "parent"], ascending=[False, True])
    .rename(columns={"gold_1": "gold", "label_1": "predicted"})
    .round({"mean_confidence": 3})
    .reset_index(drop=True)
)
display(sibling_table)

# %% [markdown]
# ## Confusion heatmap (test split)
#
# Rows: gold label (the matched gold label for a correct row, else the primary one);
# columns: predicted label, or 対象外 when the request was flagged out of scope. Errors are
# coloured and counted; the grey numbers on the diagonal are correct predictions.

# %%
axis = [*model.classes_, "NONE"]
pos = {lab: i for i, lab in enumerate(axis)}
matrix = np.zeros((len(axis), len(axis)), dtype=int)
for _, row in results.iterrows():
    gold_labels = row["gold"].split(";")
    pred = "NONE" if row["status"] == "out_of_scope" else row["label_1"]
    g = pred if pred in gold_labels else gold_labels[0]
    matrix[pos[g], pos[pred]] += 1
errors = matrix.copy()
np.fill_diagonal(errors, 0)

fig, ax = plt.subplots(figsize=(13, 11.5))
im = ax.imshow(np.ma.masked_equal(errors, 0), cmap="Reds", vmin=0, vmax=max(errors.max(), 1))
for i in range(len(axis)):
    for j in range(len(axis)):
        if i == j and matrix[i, j]:
            ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7, color="0.55")
        elif errors[i, j]:
            dark = errors[i, j] > 0.6 * errors.max()
            ax.text(
                j,
                i,
                errors[i, j],
                ha="center",
                va="center",
                fontsize=9,
                color="white" if dark else "black",
            )
ticks = [heading(lab, 14) for lab in axis]
ax.set_xticks(range(len(axis)), ticks, rotation=90, fontsize=8)
ax.set_yticks(range(len(axis)), ticks, fontsize=8)
areas = [area_of(lab) for lab in axis]
for k in range(1, len(axis)):
    if areas[k] != areas[k - 1]:
        ax.axhline(k - 0.5, color="0.7", lw=0.8)
        ax.axvline(k - 0.5, color="0.7", lw=0.8)
ax.set_xlabel("予測ラベル")
ax.set_ylabel("正解ラベル")
n_wrong = int(errors.sum())
ax.set_title(f"混同行列 (テスト分割 {len(results)} 件、誤り {n_wrong} 件)")
fig.colorbar(im, ax=ax, shrink=0.6, label="誤り件数", ticks=range(0, max(errors.max(), 1) + 1))
fig.tight_layout()
heatmap_png = OUT / "confusion_heatmap.png"
fig.savefig(heatmap_png, dpi=110)
plt.close(fig)
print(heatmap_png)
display(Image(filename=str(heatmap_png)))
