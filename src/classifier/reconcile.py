"""One row per labelled text across files: an analyst's later labels replace earlier
ones, and no text is both learnt from and scored as held out."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .dataset import PRESUMED_SOURCE
from .labels import LabelledRequest, format_labels
from .textutil import non_ws, plural


@dataclass(frozen=True)
class Reconciled:
    """Labelled requests with every text learnt from or scored once (see :func:`reconcile`)."""

    requests: list[LabelledRequest]
    relabelled: tuple[str, ...]  # "<id>: <labels> (<file>) -> <labels> (<later file>)"
    test_learnt: tuple[str, ...]  # "<id> (<file>)": test rows another file teaches
    repeats: int  # copies of a text dropped for a later file's copy with the same labels
    rescored: tuple[str, ...] = ()  # as relabelled, for a text only test splits hold
    presumed_annotated: int = 0  # programmes presumed out of scope that a file labels
    # "<id> <labels>, <id> <labels> (<file>)": one file's dev copies of a text, labelled
    # differently (kept apart, as a download may repeat a programme, but said).
    conflicting: tuple[str, ...] = ()


def text_key(text: str) -> str:
    """Two rows are the same request when their texts are, whatever their ids (a review
    sheet may number rows afresh) and line wrapping."""
    return unicodedata.normalize("NFKC", non_ws(text))


def labelled_two_ways(path: str, rows: Sequence[tuple[int, tuple[str, ...], str]]) -> str | None:
    """For evaluate: rows ``(line, gold, text)`` that repeat an earlier row's text with
    other gold labels (a review sheet's copies of a programme corrected one way and not
    the other). Each copy is scored against its own labels, so it is said, not merged."""
    first: dict[str, tuple[int, tuple[str, ...]]] = {}
    clashes = []
    for line, gold, text in rows:
        seen = first.setdefault(text_key(text), (line, gold))
        if seen[0] != line and set(seen[1]) != set(gold):
            clashes.append((seen, (line, gold)))
    if not clashes:
        return None
    (a, a_gold), (b, b_gold) = clashes[0]
    return (
        f"{path}: {plural(len(clashes), 'row')} {'repeats' if len(clashes) == 1 else 'repeat'} "
        "an earlier row's text with other gold "
        f"labels (first: row {b}, {format_labels(b_gold)}, against row {a}, "
        f"{format_labels(a_gold)}); each is scored against its own labels"
    )


def _labels_text(r: LabelledRequest) -> str:
    labels = format_labels(r.labels)
    return f"{r.scope} {labels}" if r.scope else labels


def reconcile(requests: Sequence[LabelledRequest]) -> Reconciled:
    """One row per text across labelled files, so that no text is both learnt from and
    scored as held-out, and an analyst's later correction replaces an earlier label.

    Rows of one file are never merged with each other (a download may repeat a
    programme), but a test row whose text a dev row teaches is not scored. Across files,
    for each text: a row presumed out of scope yields to any annotated one; if any copy is
    in the dev split the text is learnt from, with the labels of the last dev copy (files
    are read in the order given: a reviewed sheet passed with ``--labelled`` comes after
    the bundled files), and its test copies are not scored; otherwise the last test copy
    is scored. Input order is kept otherwise.
    """
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(text_key(r.text), []).append(i)
    drop: set[int] = set()
    relabelled: list[str] = []
    test_learnt: list[str] = []
    rescored: list[str] = []
    conflicting: list[str] = []
    repeats = presumed_annotated = 0
    for members in groups.values():
        if len({requests[i].source for i in members}) < 2:
            dev_copies = [requests[i] for i in members if requests[i].split != "test"]
            if len({_labels_text(r) for r in dev_copies}) > 1:
                conflicting.append(
                    ", ".join(f"{r.id} {_labels_text(r)}" for r in dev_copies)
                    + f" ({dev_copies[0].source})"
                )
            # One file's copies stay apart, but a text its dev split teaches is never
            # scored as held out, whichever file holds the test copy.
            if any(requests[i].split != "test" for i in members):
                for i in members:
                    if requests[i].split == "test":
                        drop.add(i)
                        test_learnt.append(f"{requests[i].id} ({requests[i].source})")
            continue
        annotated = [i for i in members if requests[i].source != PRESUMED_SOURCE]
        if annotated and len(annotated) < len(members):
            drop.update(i for i in members if i not in annotated)
            presumed_annotated += 1
            members = annotated
        by_source: dict[str, list[int]] = {}
        for i in members:
            by_source.setdefault(requests[i].source, []).append(i)
        if len(by_source) < 2:
            continue
        dev = [i for i in members if requests[i].split != "test"]
        keep = (dev or members)[-1]
        keep_source = requests[keep].source
        for i in members:
            r = requests[i]
            if r.source == keep_source:
                if r.split == "test" and dev:
                    drop.add(i)
                    test_learnt.append(f"{r.id} ({r.source})")
                continue
            drop.add(i)
            change = (
                f"{r.id}: {_labels_text(r)} ({r.source}) -> "
                f"{_labels_text(requests[keep])} ({keep_source})"
            )
            differs = _labels_text(r) != _labels_text(requests[keep])
            if r.split == "test" and dev:
                test_learnt.append(f"{r.id} ({r.source})")
                if differs:  # an analyst's correction of a held-out row: learnt, and said
                    relabelled.append(change)
            elif differs:
                (relabelled if dev else rescored).append(change)
            else:
                repeats += 1
    kept = [r for i, r in enumerate(requests) if i not in drop]
    return Reconciled(
        kept,
        tuple(relabelled),
        tuple(test_learnt),
        repeats,
        tuple(rescored),
        presumed_annotated,
        tuple(conflicting),
    )


_SHOWN = 10  # cases named in one message; the rest are counted


def _listed(what: str, noun: str, cases: tuple[str, ...], sep: str) -> str:
    """``what: N nouns (case, case, … and M more)``."""
    # A case holding commas is closed by "; and" (a list of lists), a plain one by " and".
    joiner = ";" if sep.strip() == ";" else ""
    more = f"{joiner} and {len(cases) - _SHOWN:,} more" if len(cases) > _SHOWN else ""
    return f"{what}: {plural(len(cases), noun)} ({sep.join(cases[:_SHOWN])}{more})"


def reconcile_messages(result: Reconciled) -> tuple[list[str], list[str]]:
    """Warnings and notes for what :func:`reconcile` did, for the train command."""
    warnings, notes = [], []
    if result.test_learnt:
        warnings.append(
            _listed(
                "left out of the model card's test figures, because a labelled file (the "
                "same or another) teaches the same text in its dev split",
                "test-split row",
                result.test_learnt,
                ", ",
            )
        )
    if result.conflicting:
        warnings.append(
            _listed(
                "labelled differently in rows of one file, and learnt both ways (settle the "
                "label, or delete the extra row)",
                "text",
                result.conflicting,
                "; ",
            )
        )
    for cases, done in ((result.relabelled, "learnt"), (result.rescored, "scored (test split)")):
        if cases:
            notes.append(
                _listed(
                    f"labelled again in a later file, so the later labels are {done}",
                    "request",
                    cases,
                    "; ",
                )
            )
    if result.presumed_annotated:
        notes.append(
            "learnt with their annotation instead of as presumed out of scope: "
            f"{plural(result.presumed_annotated, 'review-sheet programme')}"
        )
    if result.repeats:
        notes.append(
            "counted once, as they repeat a request of another file with the same labels: "
            f"{plural(result.repeats, 'row')}"
        )
    return warnings, notes
