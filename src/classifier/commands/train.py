"""The train command: corpus + thesaurus + labelled files → ``models/<policy-id>/``."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import paths
from ..corpus import read_clauses
from ..dataset import annotated_ids, presumed_out, source_names
from ..errors import InputFileError, OutputFileError
from ..examples import examples_for_policy
from ..labels import LabelledRequest
from ..metrics import figure_text, interval_text
from ..model import CV_FOLDS
from ..options import check_fraction
from ..predict import DEFAULT_MIN_CONFIDENCE
from ..reconcile import reconcile, reconcile_messages
from ..store import ARRAYS_FILE, CARD_FILE, STATE_FILE, save_model
from ..tables import sha256_file
from ..tables.existing import manifest_policy
from ..textutil import plural
from ..training import train as fit_and_card
from ..vocab import CVGroups

# The readers' hints name options of classify and evaluate that train does not have.
_HINTS = (
    (" (or --format)", ""),
    ("name the encoding with --encoding", "save the file again as UTF-8 (train has no "
     "--encoding)"),
)  # fmt: skip


def _for_train(message: str) -> str:
    for said, instead in _HINTS:
        message = message.replace(said, instead)
    return message


def _train_hints(run: Callable[..., int]) -> Callable[..., int]:
    @functools.wraps(run)
    def wrapped(*args: Any, **kwargs: Any) -> int:
        try:
            return run(*args, **kwargs)
        except InputFileError as exc:
            raise InputFileError(_for_train(str(exc))) from None

    return wrapped


@_train_hints
def train(
    policy_id: str = paths.DEFAULT_POLICY,
    corpus: Path | None = None,
    labelled: list[Path] | None = None,
    no_default_labelled: bool = False,
    thesaurus: Path | None = None,
    labels_policy: str = paths.BUNDLED_LABELS_POLICY,
    crosswalk: Path | None = None,
    out: Path | None = None,
    clause_only: bool = False,
    min_confidence: float | None = None,
    cv_groups: str = CVGroups.PROGRAMME,
    force: bool = False,
    sheet: str | None = None,
) -> int:
    """Train a model for ``policy_id`` and save it with its card; print what it measured."""
    check_fraction(min_confidence, "--min-confidence")
    root = paths.project_root()
    out = out or paths.model_dir(policy_id, root)
    corpus_dir = corpus or paths.corpus_dir(policy_id, root)
    replacing = _check_out(out, policy_id, force, corpus_dir)
    policy = read_clauses(corpus_dir)
    if policy.policy_id != policy_id:
        # Its labels would be learnt under another version's numbering.
        raise InputFileError(
            f"--corpus {corpus_dir} holds policy {policy.policy_id}, not {policy_id}: pass "
            f"--policy {policy.policy_id}, or the corpus of {policy_id}"
        )
    if crosswalk is not None and not Path(crosswalk).is_file():
        raise InputFileError(f"--crosswalk {crosswalk}: no such file")
    if crosswalk is not None and labels_policy == policy_id:
        print(
            f"note: --crosswalk {crosswalk} is not used: the labels are keyed to policy "
            f"{policy_id} already (--labels-policy names the policy they are keyed to)",
            file=sys.stderr,
        )
    files = list(labelled or [])
    if clause_only and files:
        print(
            f"note: --labelled {' '.join(map(str, files))} is not read: a clause-only model "
            "learns from the policy text alone (leave out --clause-only to learn from it)",
            file=sys.stderr,
        )
    if not no_default_labelled:
        defaults = [paths.labelled_requests(root), paths.labelled_review_sheets(root)]
        defaults = [f for f in defaults if f.is_file() and f not in files]
        if defaults and not clause_only and labels_policy != paths.BUNDLED_LABELS_POLICY:
            # Read as another version's labels they would teach the wrong items.
            print(
                f"warning: the bundled labelled files are labelled against policy "
                f"{paths.BUNDLED_LABELS_POLICY}, not {labels_policy}: left out (leave "
                f"--labels-policy at {paths.BUNDLED_LABELS_POLICY} to carry them over a "
                "crosswalk, or pass --no-default-labelled)",
                file=sys.stderr,
            )
            defaults = []
        files[:0] = defaults
    requests: list[LabelledRequest] = []
    presumed: list[LabelledRequest] = []
    test_learnt = 0
    if not clause_only:
        old = paths.corpus_dir(labels_policy, root) if labels_policy != policy_id else None
        # Beside the corpus trained on, where `revise crosswalk --new DIR` writes it.
        crosswalk = crosswalk or paths.crosswalk_in(corpus_dir, labels_policy)
        new_ref = policy_id if corpus is None else str(corpus_dir)
        examples = examples_for_policy(
            files,
            policy,
            old,
            crosswalk,
            crosswalk_hint=(
                f"python scripts/revise.py crosswalk --old {labels_policy} --new {new_ref}"
            ),
            sheet=sheet,
        )
        _report(examples.warnings, examples.notes)
        _refuse_unused(files, len(files) - len(labelled or []), examples.requests)
        presumed = _presumed_out(files, root)
        reconciled = reconcile(examples.requests + presumed)
        _report(*reconcile_messages(reconciled))
        requests = reconciled.requests
        test_learnt = len(reconciled.test_learnt)
    min_conf = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    n_in = sum(1 for r in requests if r.labels and r.split != "test")
    only_clauses = clause_only or n_in == 0
    if only_clauses and not clause_only:
        n_dev = sum(1 for r in requests if r.split != "test")
        n_test = len(requests) - n_dev
        print(
            "warning: no in-scope labelled request in the dev split to learn items from "
            f"({plural(n_dev, 'dev row')} out of scope, {plural(n_test, 'test row')} only "
            "scored); training a clause-only model",
            file=sys.stderr,
        )
    if presumed:
        print(
            f"{len(presumed)} review-sheet programmes with no cyber term and not annotated are "
            + (
                "not used: a clause-only model has no scope model to teach"
                if only_clauses
                else f"learnt from as out of scope "
                f"({sum(r.split == 'dev' for r in presumed)} of them dev)"
            ),
            file=sys.stderr,
        )
    _note_rare_labels(requests, only_clauses)
    result = fit_and_card(
        policy,
        corpus_dir,
        requests,
        files,
        thesaurus or paths.thesaurus(root),
        min_conf,
        clause_only=only_clauses,
        cv_groups=CVGroups(cv_groups).value,
    )
    # Held-out rows another file teaches are not scored (see reconcile); the card says so.
    result.card["labelled"]["n_test_learnt_elsewhere"] = test_learnt
    # Which labels were carried over which crosswalk, so a model can be traced to both.
    result.card["labelled"]["labels_policy"] = labels_policy if not clause_only else None
    result.card["labelled"]["crosswalk"] = None
    used = not clause_only and labels_policy != policy_id
    if used and crosswalk is not None and Path(crosswalk).is_file():
        result.card["labelled"]["crosswalk"] = {
            "file": paths.portable_path(crosswalk, root),
            "sha256": sha256_file(crosswalk),
        }
    save_model(result.model, out, result.card)
    print(
        f"trained {policy_id}: {len(result.model.classes_)} targets, "
        f"{result.model.n_examples_} labelled requests learnt from -> {out}"
    )
    for line in metric_lines(result.card["metrics"]):
        print(f"  {line}")
    if replacing:
        print(f"note: replaced the earlier model in {out}", file=sys.stderr)
    return 0


def _check_out(out: Path, policy_id: str, force: bool, corpus_dir: Path) -> bool:
    """Whether ``out`` holds a model that training replaces. Retraining a policy's model
    is routine; another policy's model, one trained on another text of the policy than
    ``corpus_dir`` was built from, or model-named files in a folder that is not a model
    folder, are refused unless ``force`` (fails before the training run)."""
    if out.exists() and not out.is_dir():
        raise OutputFileError(f"--out {out} is a file; a model is a folder: name a folder")
    names = [out / n for n in (CARD_FILE, STATE_FILE, ARRAYS_FILE)]
    if not any(p.exists() for p in names):
        return False
    if force:
        return True
    retry = "choose another --out, or pass --force to replace it"
    built = manifest_policy(out / CARD_FILE)
    if built is None:
        raise OutputFileError(
            f"--out {out} is not a model folder (no {CARD_FILE} naming a policy) but has "
            f"{', '.join(p.name for p in names if p.exists())}, which training would "
            f"replace: {retry}"
        )
    if built != policy_id:
        raise OutputFileError(
            f"--out {out} holds the model of policy {built}; training {policy_id} there "
            f"would replace it: {retry}"
        )
    # The policy text, not the clauses: a parser fix rebuilds the clauses of the same text,
    # and retraining on them is routine; another text under the same id (a page lost in
    # extraction, a draft) is what build-corpus refuses too.
    earlier = _trained_source(out / CARD_FILE)
    source = Path(corpus_dir) / "source.txt"
    if earlier and source.is_file() and sha256_file(source) != earlier:
        raise OutputFileError(
            f"--out {out} holds the model of policy {policy_id} trained on another text of "
            f"it than {corpus_dir} was built from; training would replace it: {retry}"
        )
    return True


def _trained_source(card: Path) -> str | None:
    """The sha256 of the policy text a model card says its corpus was built from."""
    try:
        value = json.loads(card.read_text(encoding="utf-8"))["corpus"]["source_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _report(warnings: list[str], notes: list[str]) -> None:
    for line in warnings:
        print(f"warning: {_for_train(line)}", file=sys.stderr)
    for line in notes:
        print(_for_train(line), file=sys.stderr)


def _refuse_unused(files: list[Path], first_given: int, learnt: list[LabelledRequest]) -> None:
    """Refuse a file named with --labelled that gives no row to learn from (every row left
    out, another policy's review sheet, no label filled in): training on without it would
    quietly replace the model with one that never saw it, or with a clause-only one."""
    used = {r.source for r in learnt}
    named = zip(files[first_given:], source_names(files)[first_given:], strict=True)
    unused = [f for f, name in named if name not in used]
    if unused:
        raise InputFileError(
            f"nothing to learn from {', '.join(map(str, unused))} (see the warnings above): "
            "nothing was trained. Correct the file or leave it out; to train on the policy "
            "text alone, pass --clause-only"
        )


def _presumed_out(files: list[Path], root: Path) -> list[LabelledRequest]:
    """The review-sheet programmes presumed out of scope (see dataset.presumed_out), when
    the annotated review sheets are among the labelled files and the download is here."""
    sheets, texts = paths.labelled_review_sheets(root), paths.review_sheet_texts(root)
    if sheets not in files or not texts.is_file():
        return []
    return presumed_out(texts, annotated_ids(sheets))


def metric_lines(metrics: dict) -> list[str]:
    """One line per split and labelled source of a model card's metrics."""
    lines = []
    for split, by_source in metrics.items():
        blocks = by_source.items()
        if split == "clause_only":
            blocks = [(f"{k} {s}", m) for k, v in by_source.items() for s, m in v.items()]
        for source, m in blocks:
            label = f"{split} {source}"
            if "model" in m:
                lines.append(
                    f"{label:<36} scope precision {_num(m['model']['precision'])}  "
                    f"recall {_num(m['model']['recall'])} "
                    f"[{_ci(m, 'recall')}]  (keyword filter "
                    f"{_num(m['keyword']['precision'])} / {_num(m['keyword']['recall'])});  "
                    f"weighted {_num(m['model_weighted']['precision'])} / "
                    f"{_num(m['model_weighted']['recall'])};  top1 on IN {_num(m['top1_in'])}  "
                    f"top3 {_num(m['top3_in'])}  set F1 {_num(m['label_set_in']['f1'])}  "
                    f"ECE top-3 {_num(m['slots_in']['ece_top3'])}  (IN {m['n_in']}, "
                    f"OUT {m['n_out']}, BORDER {m['n_border']})"
                )
            else:
                oos = m["out_of_scope"]
                lines.append(
                    f"{label:<36} top1 {_num(m['top1'])} [{_ci(m, 'top1')}]  "
                    f"top3 {_num(m['top3'])}  "
                    f"area {_num(m['area_top1'])}  ECE {_num(m['ece'])}  "
                    f"out-of-scope recall {_num(oos['recall'])}  "
                    f"in-scope flagged out {_num(oos['in_scope_flagged_out'])} "
                    f"(given any flag {_num(oos['in_scope_flagged_any'])})  (n={m['n']})"
                )
    return lines


def _ci(m: dict, key: str) -> str:
    """The 95% interval of one figure, for a card written before intervals were kept."""
    return interval_text(m.get("intervals", {}).get(key))


def _num(value: float | None) -> str:
    return figure_text(value).rjust(5)  # n/a lines up with 0.950


def _note_rare_labels(requests: list[LabelledRequest], clause_only: bool) -> None:
    """Say, in plain words, when labels have too few dev requests for their cross-validated
    figures to mean much (scikit-learn's own warning is silenced in the model)."""
    if clause_only:
        return
    counts: dict[str, int] = {}
    for r in requests:
        if r.split != "test" and r.labels:
            counts[r.labels[0]] = counts.get(r.labels[0], 0) + 1
    rare = sorted(lab for lab, n in counts.items() if n < CV_FOLDS)
    if rare:
        shown = ", ".join(rare[:5]) + (", …" if len(rare) > 5 else "")
        print(
            f"note: {plural(len(rare), 'label')} ({shown}) {'has' if len(rare) == 1 else 'have'} "
            f"fewer than {CV_FOLDS} labelled dev requests as primary label: the card's "
            "cross-validated figures for them rest on very few rows",
            file=sys.stderr,
        )
