"""JSON Lines: one object per line.

The columns are every key any object has, in the order they first appear (the file is
read twice: once for the keys, once for the rows), so a key missing from the first
object is never lost in CSV or Excel output. A line that is not a JSON object is a row
with an error; a blank line between lines is a row with no text.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from typing import IO, Any

from ..errors import InputFileError
from .encoding import detect_encoding, encoding_hint
from .records import InputTable, Row


def _finite(text: str) -> float | str:
    """A JSON number as a float, or as its text when no float holds it (1e400): written
    back as Infinity, the output would be no JSON."""
    number = float(text)
    return number if math.isfinite(number) else text


def json_object(line: str) -> tuple[dict | None, str | None]:
    try:
        # NaN and Infinity (which Python writes, and JSON has not) are kept as text too.
        obj = json.loads(line, parse_float=_finite, parse_constant=str)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg})"
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, absurd nesting
        return None, f"not readable JSON ({type(exc).__name__})"
    if not isinstance(obj, dict):
        return None, "JSON line is not an object"
    return obj, None


def _lines(binary: IO[bytes], encoding: str, errors: str) -> Iterator[str]:
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline=None)
    try:
        yield from text
    finally:
        text.detach()


def open_jsonl(binary: IO[bytes], path: str, encoding: str | None) -> InputTable:
    used, errors = (encoding, "strict") if encoding else detect_encoding(binary)
    keys: dict[str, None] = {}
    objects = 0
    try:
        for line in _lines(binary, used, errors):
            if line.strip():
                obj, _ = json_object(line)
                if obj is not None:
                    objects += 1
                    keys.update(dict.fromkeys(str(k) for k in obj))
    except UnicodeError as exc:
        raise InputFileError(
            f"{path}: text is not valid {used}; {encoding_hint(encoding)}"
        ) from exc
    if not objects:
        binary.seek(0)
        empty = not binary.read().strip()
        raise InputFileError(
            f"{path}: the file is empty"
            if empty
            else f"{path}: no line is a JSON object; is this a .jsonl file?"
        )
    columns = list(keys)

    def rows() -> Iterator[Row]:
        number = 0
        blanks: list[Row] = []
        try:
            for lineno, line in enumerate(_lines(binary, used, errors), start=1):
                number += 1
                if not line.strip():
                    blanks.append(Row(number, [None] * len(columns), extra={}, line=lineno))
                    continue
                obj, err = json_object(line)
                row: Row
                if obj is None:
                    raw: dict[str, Any] = {"_raw": line.rstrip("\n")}
                    # CSV and Excel output have no _raw column: the status says where it is.
                    text = line.strip()
                    shown = text[:40] + ("…" if len(text) > 40 else "")
                    err = f"{err}; line {lineno} begins {shown!r}"
                    row = Row(number, [None] * len(columns), error=err, extra=raw, line=lineno)
                else:
                    row = Row(number, [obj.get(c) for c in columns], extra=obj, line=lineno)
                yield from blanks
                blanks = []
                yield row
        except UnicodeError as exc:
            raise InputFileError(f"{path}: text is not valid {used} after line {number}") from exc
        finally:
            binary.close()

    return InputTable(path, "jsonl", columns, used, rows(), source=binary)
