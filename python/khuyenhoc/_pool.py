"""Conversions between khuyenhoc.Pool and numpy / pandas (convenience over the C++ core)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from . import _core

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
    items = [dictionary[c] for c in codes]
    out = np.empty(len(valid), dtype=object)
    for r in range(len(valid)):
        out[r] = items[offsets[r] : offsets[r + 1]] if valid[r] else None
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
    # object / string columns: lists, dates, or strings
    items = s.tolist()
    present = [v for v in items if not _is_missing(v)]
    if present and all(isinstance(v, (list, tuple, set, frozenset, np.ndarray)) for v in present):
        rows = [None if _is_missing(v) else [str(x) for x in v] for v in items]
        return (name, "list", rows)
    import datetime as _dt

    if present and all(isinstance(v, _dt.date) for v in present):
        valid = np.array([not _is_missing(v) for v in items], dtype=bool)
        ints = np.array(
            [0 if _is_missing(v) else (np.datetime64(v, "D") - _EPOCH).astype(np.int64) for v in items],
            dtype=np.int64,
        )
        return (name, "date", ints, valid)
    strings = [None if _is_missing(v) else str(v) for v in items]
    distinct = len(set(x for x in strings if x is not None))
    category = as_category if as_category is not None else (
        distinct <= 16 or distinct <= 0.5 * max(len(present), 1)
    )
    if category:
        cats = sorted(set(x for x in strings if x is not None))
        index = {c: i for i, c in enumerate(cats)}
        codes = np.array([-1 if x is None else index[x] for x in strings], dtype=np.int32)
        return (name, "category", codes, cats)
    return (name, "text", strings)


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    try:
        import pandas as pd

        return v is pd.NA or v is pd.NaT
    except ImportError:  # pragma: no cover
        return False


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
