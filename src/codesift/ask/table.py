"""The user's data file: checked, loaded once by codesift itself, and previewed for the prompt.

The preview (schema, null counts, row count, a few rows) is computed here, not by the model, and kept under a
token budget: a wide or wordy table loses rows first, then cell length, then columns. Cells are shown as JSON
strings, so text in the data that reads like an instruction stays visibly quoted data (the prompt says so).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from codesift.errors import CodesiftError
from codesift.records import Record

Kind = Literal["csv", "tsv", "parquet", "excel", "json", "jsonl"]
KINDS: dict[str, Kind] = {
    ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".xlsx": "excel", ".xls": "excel",
    ".json": "json", ".jsonl": "jsonl",
}  # fmt: skip
# How the program opens the file: the same reader the preview used, so both see the same frame.
READERS: dict[Kind, str] = {
    "csv": "pd.read_csv({path!r})",
    "tsv": "pd.read_csv({path!r}, sep='\\t')",
    "parquet": "pd.read_parquet({path!r})",
    "excel": "pd.read_excel({path!r})",
    "json": "pd.read_json({path!r})",
    "jsonl": "pd.read_json({path!r}, lines=True)",
}
CHARS_PER_TOKEN = 3.5  # Qwen's tokenizer on tables of mixed text and digits; a budget, not a count


class DataFileError(CodesiftError, ValueError):
    """The data file is missing, unreadable, empty or of a format codesift cannot read."""


class Table(Record):
    """A checked data file and what the prompt may show of it."""

    path: str
    name: str
    kind: Kind
    sha256: str
    rows: int
    columns: int
    preview: str

    @property
    def reader(self) -> str:
        """The pandas call that loads this file from the program's working directory."""
        return READERS[self.kind].format(path=self.name)


def _read(path: Path, kind: Kind) -> Any:
    import pandas as pd

    if kind in ("csv", "tsv"):
        return pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind == "excel":
        return pd.read_excel(path)
    return pd.read_json(path, lines=kind == "jsonl")


def load_table(path: str | Path, budget_tokens: int = 700) -> Table:
    """Check and preview `path`; every failure is a one-line `DataFileError` naming the file and the fix."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise DataFileError(f"{path}: unsupported format {path.suffix or '(no extension)'!r}; use one of "
                            f"{', '.join(sorted(KINDS))}")  # fmt: skip
    if not path.is_file():
        raise DataFileError(f"{path}: no such file; check the path")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataFileError(f"{path}: cannot read the file ({e.strerror}); check its permissions") from None
    if not raw.strip():
        raise DataFileError(f"{path}: the file is empty; give a file with a header and at least one row")
    try:
        frame = _read(path, kind)
    except ImportError as e:
        raise DataFileError(f"{path}: reading {kind} files needs {e.name}; `pip install {e.name}`") from None
    except Exception as e:  # pandas raises a zoo of parser errors; all mean "not a table we can read"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataFileError(f"{path}: not a readable {kind} table ({first}); check the file's format") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise DataFileError(f"{path}: the table has no rows or no columns; give a file with a header and data")
    return Table(
        path=str(path.resolve()),
        name=path.name,
        kind=kind,
        sha256=hashlib.sha256(raw).hexdigest(),
        rows=int(frame.shape[0]),
        columns=int(frame.shape[1]),
        preview=preview(frame, path.name, budget_tokens),
    )


def _cell(value: Any, width: int) -> Any:
    """A JSON-safe cell, long text cut to `width` characters (marked with an ellipsis)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _render(frame: Any, name: str, rows: int, width: int, max_columns: int) -> str:
    columns = list(frame.columns)
    shown = columns[:max_columns]
    lines = [f"File {name}: {frame.shape[0]} rows x {frame.shape[1]} columns.", "Columns (name: dtype, missing):"]
    nulls = frame.isna().sum()
    for c in shown:
        lines.append(f"- {json.dumps(str(c))}: {frame[c].dtype}, {int(nulls[c])} missing")
    if len(columns) > len(shown):
        lines.append(f"- ... and {len(columns) - len(shown)} more columns")
    lines.append(f"First {min(rows, frame.shape[0])} rows, one JSON object per row:")
    for _, row in frame.head(rows).iterrows():
        lines.append(json.dumps({str(c): _cell(row[c], width) for c in shown}, ensure_ascii=False, default=str))
    return "\n".join(lines)


def preview(frame: Any, name: str, budget_tokens: int = 700) -> str:
    """Schema, row count and the first rows, shrunk (rows, then cell width, then columns) to fit the budget."""
    limit = int(budget_tokens * CHARS_PER_TOKEN)
    text = ""
    for max_columns in (60, 30, 15, 8):
        for width in (60, 30, 15):
            for rows in (5, 3, 2, 1):
                text = _render(frame, name, rows, width, max_columns)
                if len(text) <= limit:
                    return text
    return text[:limit]
