"""The policy parser's entry point: raw text → :class:`Policy`."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import PolicyParseError
from ..paths import is_policy_id
from ..textutil import squeeze
from .artefacts import remove_running_headers, strip_artefacts
from .markers import Line
from .structure import StructureReader, to_clauses
from .summary import find_body_start, parse_summary
from .types import Policy

# Characters a PDF or web extraction leaves that show as nothing (zero-width spaces and
# joiners, a soft hyphen, a BOM inside the text) or as a space (no-break spaces): kept, they
# would be part of headings and clause text, and revise would call unchanged items reworded.
_INVISIBLE = str.maketrans(
    {"\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
     "\u00ad": None, "\u00a0": " ", "\u202f": " "}
)  # fmt: skip


def _check_text(text: str) -> None:
    if not text.strip():
        raise PolicyParseError("the policy file is empty")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if "\x00" in text or "\ufffd" in text[:2000] or controls > max(5, len(text) // 100):
        raise PolicyParseError(
            "the policy file looks binary (not UTF-8 text); export the policy as plain text first"
        )


def parse_policy(
    text: str,
    policy_id: str,
    summary_map: Mapping[str, tuple[str, ...]] | None = None,
) -> Policy:
    """Parse a policy text into clauses, summary-slide entries and removed artefacts.

    ``summary_map`` maps summary bullet ids (``S01``…) to the labels they summarise; without
    it, a bullet is attached to the area its slide heading names.

    Raises :class:`PolicyParseError` for empty or binary text or text without numbered
    sections.
    """
    return parse_policy_checked(text, policy_id, summary_map)[0]


def parse_policy_checked(
    text: str,
    policy_id: str,
    summary_map: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[Policy, list[str]]:
    """:func:`parse_policy`, and what the parser read that an analyst should check: each
    line opening with a marker that breaks its list's numbering (read as text of the
    clause above, so the item it opens is lost or merged; build-corpus warns of them)."""
    if not isinstance(text, str):
        raise PolicyParseError(f"the policy text must be text, not {type(text).__name__}")
    if not is_policy_id(policy_id):
        raise PolicyParseError(
            f"{policy_id!r} is not a policy id: letters, digits, '_', '.' and '-' (r3, "
            "r4_draft), as it names the folders corpus/<id> and models/<id>"
        )
    _check_text(text)
    raw_lines = text.lstrip("\ufeff").translate(_INVISIBLE).splitlines()
    body_start = find_body_start(raw_lines)
    summary, summary_artefacts = (
        parse_summary(policy_id, raw_lines, body_start, summary_map) if body_start else ([], [])
    )
    content, artefacts = strip_artefacts(raw_lines, body_start)
    content, headers = remove_running_headers(content)
    artefacts += headers
    reader = StructureReader(content)
    reader.read()
    if not reader.roots:
        raise PolicyParseError(
            "no numbered sections found (expected lines such as '１ 基本的な考え方' or "
            "'第1 …' followed by '(1)', '①', 'ⅰ）' items); is this the policy text?"
        )
    # The title is the first line naming the 方針; failing that, the first line.
    title = next(
        (ln.text for ln in reader.preamble if "方針" in ln.text),
        reader.preamble[0].text if reader.preamble else "",
    )
    clauses = to_clauses(
        policy_id, squeeze(title), reader.preamble, reader.preamble_breaks, reader.roots
    )
    if not any(c.is_target for c in clauses):
        raise PolicyParseError("numbered sections were found but no areas or items inside them")
    all_artefacts = sorted(summary_artefacts + artefacts, key=lambda a: (a.line, a.kind))
    policy = Policy(policy_id, squeeze(title), tuple(clauses), tuple(summary), tuple(all_artefacts))
    return policy, [_out_of_sequence(*where) for where in reader.out_of_sequence]


def _out_of_sequence(line: Line, number: int, after: str, value: int) -> str:
    why = (
        "is an item between them missing?"
        if number > value + 1
        else "a page repeated, or out of order?"
    )
    return (
        f"line {line.no}: {line.text.strip()[:40]!r} does not continue the numbering after "
        f"{after} ({why}), so it is read as text of the clause above it, not as an "
        "item of its own; check the text there"
    )
