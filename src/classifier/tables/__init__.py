"""Tables in and out: every format analysts exchange, one reader and one writer for all."""

from .atomic import atomic_write_bytes, sha256_file
from .columns import (
    ID_COLUMN_CANDIDATES,
    TEXT_COLUMN_CANDIDATES,
    pick_column,
    pick_id_column,
    resolve_text_columns,
)
from .guard import check_outputs, check_regular
from .header import column_key, find_column, one_line, shown_columns
from .read import (
    FORMATS,
    InputTable,
    Row,
    check_encoding,
    detect_format,
    open_table,
    sheet_names,
)
from .write import TableWriter, default_output_path

__all__ = [
    "FORMATS",
    "ID_COLUMN_CANDIDATES",
    "TEXT_COLUMN_CANDIDATES",
    "InputTable",
    "Row",
    "TableWriter",
    "atomic_write_bytes",
    "check_encoding",
    "check_outputs",
    "check_regular",
    "column_key",
    "default_output_path",
    "detect_format",
    "find_column",
    "one_line",
    "open_table",
    "pick_column",
    "pick_id_column",
    "resolve_text_columns",
    "sha256_file",
    "sheet_names",
    "shown_columns",
]
