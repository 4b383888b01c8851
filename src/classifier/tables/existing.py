"""Whether an output file that already exists may be replaced.

Re-running a command over its own earlier output is routine and replaces it (with a note).
Anything else is someone's work: a file the tool did not write (a typo in ``-o`` naming
the analyst's workbook), a workbook saved in Excel since (an analyst's edits, notes, a
sheet of their own), a file holding a column the run would not write (an analyst's
accepted_label or 担当メモ), or a review sheet whose accepted_label or comment cells an
analyst has filled in. Those are refused unless the user says ``--force``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ClassifierError, OutputFileError
from ..textutil import cell_text, plural
from .header import column_key, find_column, one_line
from .read import detect_format, open_table
from .xlsx_save import saved_elsewhere


def check_replaceable(
    path: str | Path | None,
    option: str,
    *,
    ours: Sequence[str],
    entries: Sequence[str] = (),
    fmt: str | None = None,
    force: bool = False,
    columns: Sequence[str] | None = None,
) -> bool:
    """True if ``path`` exists and will be replaced; raise :class:`OutputFileError` if it
    must not be.

    ``ours`` are columns every file this command writes has; ``entries`` are columns an
    analyst fills in, so a file with any of them non-empty holds work that would be lost.
    ``fmt`` is the format the file is read as (default: from its name). ``columns``, if
    given, are every column the run will write: a file holding another was added to.
    """
    if path is None or str(path) == "-" or not os.path.isfile(path):
        return False
    if force:
        return True
    retry = "choose another file name, or pass --force to replace it"
    try:
        table = open_table(str(path), fmt)
        try:
            keys = [column_key(c) for c in table.columns]
            missing = [c for c in ours if column_key(c) not in keys]
            if missing:
                some = ", ".join(map(one_line, missing[:3]))
                if len(missing) <= 2:
                    lacks = f"has no {' or '.join(map(one_line, missing))} column"
                elif len(missing) == len(ours):
                    lacks = f"has none of the columns this command writes, such as {some}"
                else:
                    lacks = (
                        f"lacks {len(missing)} of the columns this command writes, such as {some}"
                    )
                raise OutputFileError(
                    f"{option} {path} already exists and was not written by this tool (it "
                    f"{lacks}); {retry}"
                )
            if columns is not None:
                written = {column_key(c) for c in columns}
                extra = [c for c, k in zip(table.columns, keys, strict=True) if k not in written]
                if extra:
                    raise OutputFileError(
                        f"{option} {path} already exists and has column(s) this run does "
                        f"not write ({', '.join(map(one_line, extra[:5]))}"
                        f"{' …' if len(extra) > 5 else ''}): an analyst's additions, or the "
                        f"output of another input, which would be lost; {retry}"
                    )
            # As retyped (Accepted Label): still the analyst's entries.
            named = [find_column(table.columns, c) for c in entries]
            where = [table.columns.index(c) for c in named if c is not None]
            filled = sum(
                any(i < len(row.cells) and cell_text(row.cells[i]).strip() for i in where)
                for row in table.rows
            )
        finally:
            table.close()
    except OutputFileError:
        raise
    except (ClassifierError, OSError, ValueError) as exc:
        raise OutputFileError(
            f"{option} {path} already exists and cannot be read as an earlier output "
            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); {retry}"
        ) from None
    if filled:
        raise OutputFileError(
            f"{option} {path} already exists and holds an analyst's "
            f"{' or '.join(entries)} in {plural(filled, 'row')}, which would be lost; {retry}"
        )
    if (fmt or detect_format(str(path))) == "xlsx" and saved_elsewhere(Path(path)):
        raise OutputFileError(
            f"{option} {path} already exists and was saved by another program (such as "
            f"Excel) since this tool wrote it, so it may hold an analyst's work; {retry}"
        )
    return True


def manifest_policy(path: Path) -> str | None:
    """The ``policy_id`` a folder's JSON manifest (a corpus.json, a model card) names;
    ``None`` when there is none or it cannot be read: a folder that is not one of ours."""
    try:
        policy = json.loads(Path(path).read_text(encoding="utf-8")).get("policy_id")
    except (OSError, ValueError, AttributeError):
        return None
    return policy if isinstance(policy, str) and policy else None


# Keys evaluate writes below the top: figure names, and labels (per-label and confusion
# tables, whose keys vary with the rows scored). Any other is someone's addition.
_OUR_KEY = re.compile(r"[a-z0-9_.]+|\(\d+\).*|NONE")


def _odd_keys(value: object, path: str = "") -> Iterator[str]:
    """Keys nested in an earlier report that evaluate never writes (``out_of_scope.担当メモ``)."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, inner in items:
        name = f"{path}.{key}" if path else str(key)
        if path and isinstance(key, str) and not _OUR_KEY.fullmatch(key):
            yield name
        yield from _odd_keys(inner, name)


def check_report_keys(path: Path, figures: dict, force: bool) -> None:
    """Refuse to replace an earlier report that has a key this run does not write (an
    analyst's note added to it, 担当メモ) unless ``force``: it would be lost."""
    if force or str(path) == "-" or not Path(path).is_file():
        return
    earlier = json.loads(Path(path).read_text(encoding="utf-8"))
    extra = [k for k in earlier if k not in figures and k != "scope"] + list(_odd_keys(earlier))
    if extra:
        raise OutputFileError(
            f"--report {path} already exists and has key(s) this run does not write "
            f"({', '.join(map(str, extra[:5]))}): an analyst's additions, which would be lost; "
            "choose another file name, or pass --force to replace it"
        )
