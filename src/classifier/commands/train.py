"""The train command: corpus + thesaurus + labelled files → ``models/<policy-id>/``."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import paths
from ..corpus import read_clauses
from ..dataset import examples_for_policy
from ..labels import LabelledRequest
from ..predict import DEFAULT_MIN_CONFIDENCE
from ..store import save_model
from ..training import train as fit_and_card


def train(
    policy_id: str = paths.DEFAULT_POLICY,
    corpus: Path | None = None,
    labelled: list[Path] | None = None,
    no_default_labelled: bool = False,
    thesaurus: Path | None = None,
    labels_policy: str = paths.DEFAULT_POLICY,
    crosswalk: Path | None = None,
    out: Path | None = None,
    clause_only: bool = False,
    min_confidence: float | None = None,
) -> int:
    """Train a model for ``policy_id`` and save it with its card; print what it measured."""
    root = paths.project_root()
    corpus_dir = corpus or paths.corpus_dir(policy_id, root)
    policy = read_clauses(corpus_dir)
    default_labelled = paths.labelled_requests(root)
    files = list(labelled or [])
    if not no_default_labelled and default_labelled.is_file() and default_labelled not in files:
        files.insert(0, default_labelled)
    requests: list[LabelledRequest] = []
    if not clause_only:
        old = paths.corpus_dir(labels_policy, root) if labels_policy != policy_id else None
        examples = examples_for_policy(
            files,
            policy,
            old,
            crosswalk or paths.crosswalk(policy_id, labels_policy, root),
            crosswalk_hint=(
                f"python scripts/revise.py crosswalk --old {labels_policy} --new {policy_id}"
            ),
        )
        for line in examples.warnings:
            print(f"warning: {line}", file=sys.stderr)
        for line in examples.notes:
            print(line, file=sys.stderr)
        requests = examples.requests
    min_conf = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    n_in = sum(1 for r in requests if r.labels and r.split != "test")
    only_clauses = clause_only or n_in == 0
    if only_clauses and not clause_only:
        print("warning: no usable labelled requests; training a clause-only model", file=sys.stderr)
    result = fit_and_card(
        policy,
        corpus_dir,
        requests,
        files,
        thesaurus or paths.thesaurus(root),
        min_conf,
        clause_only=only_clauses,
    )
    out = out or paths.model_dir(policy_id, root)
    save_model(result.model, out, result.card)
    print(
        f"trained {policy_id}: {len(result.model.classes_)} targets, "
        f"{result.model.n_examples_} labelled requests learnt from -> {out}"
    )
    for name, m in result.card["metrics"].items():
        for label, mm in [(name, m)] if "top1" in m else [(f"{name} {k}", v) for k, v in m.items()]:
            oos = mm["out_of_scope"]
            print(
                f"  {label:<20} top1 {_num(mm['top1'])}  top3 {_num(mm['top3'])}  "
                f"area {_num(mm['area_top1'])}  ECE {_num(mm['ece'])}  "
                f"out-of-scope recall {_num(oos['recall'])}  "
                f"in-scope flagged {_num(oos['in_scope_flagged_any'])}  (n={mm['n']})"
            )
    return 0


def _num(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"
