"""Saving a workbook as a file: the same rows give the same bytes, and a failure (a full
disk) leaves no half-closed zip behind to complain when it is collected."""

from __future__ import annotations

import contextlib
import re
import zipfile
from pathlib import Path
from typing import Any

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
SAVED_AT = b"2000-01-01T00:00:00Z"  # the document time every workbook saved here has
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]*)</dcterms:modified>")


def save_workbook(wb: Any, path: Path) -> None:
    """Save ``wb`` to ``path`` with fixed times."""
    _write_workbook(wb, path)
    _fix_xlsx_times(path)


def _write_workbook(wb: Any, path: Path) -> None:
    """``wb.save(path)``, closing the zip file even when writing fails (a full disk):
    openpyxl leaves it open then, and its finaliser, failing again, prints a traceback
    ("Exception ignored in ZipFile.__del__") after the one-line error."""
    from openpyxl.writer import excel

    archive = excel.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        excel.ExcelWriter(wb, archive).save()  # what wb.save does, closing the archive
    except BaseException:
        # Closing writes the zip's directory, which fails too; it closes the file anyway.
        with contextlib.suppress(Exception):
            archive.close()
        raise


def _fix_xlsx_times(path: Path) -> None:
    """Rewrite a saved workbook with fixed times (zip entries, document properties), so the
    same rows give the same bytes: openpyxl stamps both with the time of saving."""
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + SAVED_AT + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zf.writestr(fixed, data)


def saved_elsewhere(path: Path) -> bool:
    """Whether a workbook was saved by another program (Excel, LibreOffice) since this tool
    wrote it: they stamp the time of saving, where this tool's workbooks hold SAVED_AT.
    False for a file that is no workbook at all (reading it says what it is)."""
    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml")
    except KeyError:  # a workbook without document properties: not one of ours
        return True
    except (OSError, zipfile.BadZipFile):
        return False
    found = _MODIFIED.search(core)
    return found is None or found.group(1) != SAVED_AT
