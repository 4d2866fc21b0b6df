"""Conversions between khuyenhoc.Pool and numpy / pandas (convenience over the C++ core)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from . import _core
from ._progress import ProgressArg, reporter

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_EPOCH = np.datetime64("1970-01-01", "D")


def column_array(pool: _core.Pool, name: str) -> np.ndarray:
    """The column as one numpy array, missing values as NaN / NaT / None.

    Number columns, and integer and boolean columns without missing values, are read-only views
    of the pool's memory (no copy). Other kinds are converted.
    """
    kind = pool.column_type(name)
    values = pool._values(name)
    valid = pool._valid(name)
    if kind == "number":
        return values
    if kind in ("integer", "boolean"):
        if valid.all():
            return values
        out = values.astype("float64" if kind == "integer" else "object")
        out[~valid] = np.nan if kind == "integer" else None
        return out
    if kind == "date":
        out = values.astype("int64").astype("datetime64[D]")
        out[~valid] = np.datetime64("NaT")
        return out
    if kind == "category":
        dictionary = np.array(pool._dictionary(name) + [None], dtype=object)
        return dictionary[values]  # code -1 picks the trailing None
    if kind == "text":
        return np.array(values, dtype=object)
    offsets, codes = values
    dictionary = pool._dictionary(name)
    items = [dictionary[c] for c in codes.tolist()]
    bounds = offsets.tolist()
    out = np.empty(len(valid), dtype=object)
    for r, ok in enumerate(valid.tolist()):
        out[r] = items[bounds[r] : bounds[r + 1]] if ok else None
    return out


def to_pandas(pool: _core.Pool) -> "pd.DataFrame":
    """The pool as a pandas DataFrame, one column per pool column, the id column first as is.

    number → float64 (shares memory), integer → Int64, boolean → boolean, date →
    datetime64[s], category → Categorical, text → object (str/None), list → object (list/None).
    """
    import pandas as pd

    data: dict[str, Any] = {}
    for name in pool.columns:
        kind = pool.column_type(name)
        valid = pool._valid(name)
        if kind == "number":
            data[name] = pd.Series(pool._values(name), copy=False)
        elif kind == "integer":
            data[name] = pd.arrays.IntegerArray(np.array(pool._values(name)), ~valid)
        elif kind == "boolean":
            data[name] = pd.arrays.BooleanArray(np.array(pool._values(name)), ~valid)
        elif kind == "date":
            days = pool._values(name).astype("int64")
            stamps = (days * 86400).astype("datetime64[s]")
            stamps[~valid] = np.datetime64("NaT")
            data[name] = stamps
        elif kind == "category":
            data[name] = pd.Categorical.from_codes(
                np.asarray(pool._values(name)), categories=pool._dictionary(name)
            )
        else:
            data[name] = column_array(pool, name)
    return pd.DataFrame(data)


def _mask_of(series: Any) -> np.ndarray:
    return ~np.asarray(series.isna(), dtype=bool)


def _spec_for(name: str, values: Any, as_category: bool | None) -> tuple[Any, ...]:
    """(name, type, data, extra) for Pool._from_columns from a pandas Series or array-like."""
    import pandas as pd

    s = values if isinstance(values, pd.Series) else pd.Series(values)
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = [str(c) for c in dtype.categories]
        return (name, "category", np.asarray(s.cat.codes, dtype=np.int32), cats)
    if pd.api.types.is_bool_dtype(dtype):
        valid = _mask_of(s)
        return (name, "boolean", np.asarray(s.fillna(False), dtype=np.uint8), valid)
    if pd.api.types.is_integer_dtype(dtype):
        valid = _mask_of(s)
        return (name, "integer", np.asarray(s.fillna(0), dtype=np.int64), valid)
    if pd.api.types.is_float_dtype(dtype):
        # float64 numpy-backed columns are borrowed, not copied.
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return (name, "number", arr)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        valid = _mask_of(s)
        days = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        ints = np.where(valid, (days - _EPOCH).astype(np.int64), 0)
        return (name, "date", ints, valid)
    # object / string columns: lists, dates, or strings. The kind is decided by the present
    # values; strings are dictionary-encoded by pandas.factorize (vectorised), not in Python.
    missing = np.asarray(s.isna(), dtype=bool)
    present = s[~missing]
    first = present.iloc[0] if len(present) else None
    if isinstance(first, (list, tuple, set, frozenset, np.ndarray)):
        rows = [None if m else [str(x) for x in v] for v, m in zip(s.tolist(), missing)]
        return (name, "list", rows)
    import datetime as _dt

    if isinstance(first, _dt.date) and all(isinstance(v, _dt.date) for v in present):
        days = np.array([v if not m else None for v, m in zip(s.tolist(), missing)],
                        dtype="datetime64[D]")
        ints = np.where(missing, 0, (days - _EPOCH).astype(np.int64))
        return (name, "date", ints, ~missing)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    cats = [str(u) for u in uniques]
    if len(set(cats)) != len(cats):  # distinct objects with equal text (e.g. 1 and "1")
        strings = [None if m else str(v) for v, m in zip(s.tolist(), missing)]
        codes, uniques = pd.factorize(pd.Series(strings, dtype=object), use_na_sentinel=True)
        cats = [str(u) for u in uniques]
    category = as_category if as_category is not None else (
        len(cats) <= 16 or len(cats) <= 0.5 * max(len(present), 1)
    )
    if category:
        return (name, "category", np.asarray(codes, dtype=np.int32), cats)
    text = np.array(cats + [None], dtype=object)[codes]  # code -1 picks the trailing None
    return (name, "text", text.tolist())


def from_pandas(df: "pd.DataFrame", id: str = "id") -> _core.Pool:
    """A Pool from a DataFrame. float64 columns are shared, not copied; integer, boolean and
    datetime columns keep their missing values; Categorical columns stay categories; object
    columns of lists become list columns, of dates date columns, of strings category or text
    (category when at most half the values are distinct). The id column becomes text."""
    specs = []
    for name in df.columns:
        col = df[name]
        as_category = False if name == id else None
        specs.append(_spec_for(str(name), col, as_category))
    return _core.Pool._from_columns(specs, id)


def from_dict(columns: Mapping[str, Sequence[Any] | np.ndarray], id: str = "id") -> _core.Pool:
    """A Pool from a mapping of column name to numpy array or sequence (see from_pandas)."""
    specs = []
    for name, values in columns.items():
        specs.append(_spec_for(str(name), values, False if name == id else None))
    return _core.Pool._from_columns(specs, id)


def read_csv(
    path: str | os.PathLike[str],
    *,
    id: str = "id",
    schema: Mapping[str, str] | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    na_values: Sequence[str] | None = None,
    threads: int = 0,
    progress: ProgressArg = False,
    max_bytes: int = 0,
    max_field_lines: int = 4,
    mixed_columns: str = "error",
) -> _core.Pool:
    """Reads a CSV file into a Pool.

    UTF-8 with or without BOM; ',' or ';' separated (detected); with ';', decimal commas
    ("9,1"); NFC or NFD text (normalised to NFC); dates dd/mm/yyyy or yyyy-mm-dd; list cells split
    on '|' (or ';' for columns the schema declares as "list"). ``schema`` maps column names to
    types (number, integer, boolean, date, category, text, list); other columns are inferred.
    Raises khuyenhoc.Error subclasses whose message names file, line, column and value;
    khuyenhoc.IOError (also an OSError) for a missing or unreadable file.

    Guards (docs/reliability.md): ``max_bytes`` refuses a larger file with LimitError (0: no
    limit); a quoted field spanning more than ``max_field_lines`` lines (a stray quote merging
    records) is a ParseError at the line where it opened (0: no limit). A column of numbers with
    cells that only look like numbers ("1e999", " 8,5 ", "8.75" among "9,1") is a DataError at
    the first such cell; with ``mixed_columns="text"`` the column is read as text instead and a
    UserWarning names that cell.

    ``progress`` (off by default): True shows a tqdm bar (or a stderr line without tqdm); a
    callable ``f(phase, done, total)`` is called with phase "reading" (bytes of the file, about
    once per MB, the last call with done == total) and then once with phase "rows"
    (done == total == the number of rows read).
    """
    report = reporter(progress, f"read_csv {os.fspath(path)}")
    raw = None if report is None else (lambda done, total: report("reading", done, total))
    pool = _core.read_csv(
        os.fspath(path),
        id=id,
        schema=dict(schema) if schema is not None else None,
        sep=sep,
        decimal=decimal,
        na_values=list(na_values) if na_values is not None else None,
        threads=threads,
        progress=raw,
        max_bytes=max_bytes,
        max_field_lines=max_field_lines,
        mixed_columns=mixed_columns,
    )
    if report is not None:
        report("rows", len(pool), len(pool))
    return pool
