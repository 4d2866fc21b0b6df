"""Conversions between khuyenhoc.Pool and numpy / pandas (convenience over the C++ core)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

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
        seconds = pool._seconds(name)
        if seconds is not None:  # a datetime column: to the second
            out = (values.astype("int64") * 86400 + seconds).astype("datetime64[s]")
        else:
            out = values.astype("int64").astype("datetime64[D]")
        out[~valid] = np.datetime64("NaT")
        return out
    if kind == "category":
        dictionary = np.array(pool._dictionary(name) + [None], dtype=object)
        return dictionary[values]  # code -1 picks the trailing None
    if kind == "text":
        return np.array(values, dtype=object)
    # Built in C++: a list of str per row, None where missing (fromiter keeps lists as items).
    return np.fromiter(pool._lists(name), dtype=object, count=len(valid))


def to_pandas(
    pool: _core.Pool, copy: bool = False, lists: Literal["object", "arrow"] = "object"
) -> "pd.DataFrame":
    """The pool as a pandas DataFrame, one column per pool column, in the pool's order.

    number → float64, integer → Int64, boolean → boolean: these three share the pool's memory
    (no copy; the DataFrame keeps the pool's buffers alive). The pool is immutable, so these
    columns are read-only: writing into them in place (``df.loc[i, "gpa"] = x``) raises
    ``ValueError: assignment destination is read-only``, while adding or replacing whole
    columns works. ``copy=True`` gives a frame that owns writable copies. The others are copies,
    as pandas has no layout for them that the pool's storage matches: date → datetime64[s]
    (pandas has no day unit; a datetime column's times of day are kept), category → Categorical (pandas picks its own code width; the
    categories keep the pool's order, and an ordered column gives an ordered Categorical), text → pandas' ``str`` (built from the pool's Arrow
    export when pandas stores strings in pyarrow), list → list/None objects.
    ``lists="arrow"`` gives list columns as ``pd.ArrowDtype`` lists of dictionary-encoded strings
    instead, straight from the pool's Arrow export: no Python object per row, and
    ``from_pandas`` reads them back through the Arrow importer (``.list`` accessor; an element
    reads as a Python list; ``Series.map`` passes numpy arrays). Needs pyarrow.
    For a zero-copy hand-over of every column, use Arrow: ``pd.DataFrame.from_arrow(pool)``
    (pandas ≥ 3) or ``pyarrow.table(pool).to_pandas()``.
    """
    import pandas as pd

    if lists not in ("object", "arrow"):
        raise ValueError(f'lists must be "object" or "arrow", not {lists!r}')
    text_columns = _text_through_arrow(pool)
    if lists == "arrow":
        text_columns.update(_lists_through_arrow(pool))
    data: dict[str, Any] = {}
    for name in pool.columns:
        kind = pool.column_type(name)
        valid = pool._valid(name)
        if name in text_columns:
            data[name] = text_columns[name]
        elif kind == "number":
            data[name] = pd.Series(pool._values(name), copy=False)
        elif kind == "integer":
            data[name] = pd.Series(pd.arrays.IntegerArray(pool._values(name), ~valid), copy=False)
        elif kind == "boolean":
            data[name] = pd.Series(pd.arrays.BooleanArray(pool._values(name), ~valid), copy=False)
        elif kind == "date":
            days = pool._values(name).astype("int64")
            seconds = pool._seconds(name)  # times of day of a datetime column
            stamps = (days * 86400 + (0 if seconds is None else seconds)).astype("datetime64[s]")
            stamps[~valid] = np.datetime64("NaT")
            data[name] = stamps
        elif kind == "category":
            data[name] = pd.Categorical.from_codes(
                np.asarray(pool._values(name)),
                categories=pool._dictionary(name),
                ordered=pool.is_ordered(name),
            )
        else:
            data[name] = column_array(pool, name)
    return pd.DataFrame(data, copy=copy)


def _text_through_arrow(pool: _core.Pool) -> dict[str, Any]:
    """Text columns as pandas' default ``str`` Series built from the pool's Arrow export (no
    Python object per value), when pandas stores ``str`` in pyarrow; else {} (the caller then
    converts values one by one, with the same result)."""
    import pandas as pd

    names = [n for n in pool.columns if pool.column_type(n) == "text"]
    if not names:
        return {}
    try:
        import pyarrow as pa
    except ImportError:
        return {}
    default = pd.Series([], dtype="str").dtype
    if getattr(default, "storage", None) != "pyarrow":
        return {}
    table = pa.table(pool).select(names)
    mapper = {pa.large_string(): default, pa.string(): default}.get
    return {
        n: pd.Series(table.column(n).to_pandas(types_mapper=mapper), copy=False) for n in names
    }


def _lists_through_arrow(pool: _core.Pool) -> dict[str, Any]:
    """List columns as pd.ArrowDtype Series sharing the pool's Arrow export (offsets and item
    codes of the pool's dictionary): no Python object per row or item."""
    import pandas as pd
    import pyarrow as pa

    names = [n for n in pool.columns if pool.column_type(n) == "list"]
    if not names:
        return {}
    table = pa.table(pool).select(names)
    return {
        n: pd.Series(table.column(n).to_pandas(types_mapper=pd.ArrowDtype), copy=False)
        for n in names
    }


class _RowError(Exception):
    """A bad value at a row position of a column, located by the caller with the row's id."""

    def __init__(self, column: str, row: int, message: str) -> None:
        super().__init__(message)
        self.column, self.row, self.message = column, row, message


# Dates the library supports (Boost.Date_Time's range), as day numbers since 1970-01-01.
_MIN_DAY, _MAX_DAY = _core._date_range
_VIETNAM = "Asia/Ho_Chi_Minh"


def _checked_days(name: str, days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """int64 day numbers; a present date outside 1400-01-01..9999-12-31 raises _RowError."""
    bad = valid & ((days < _MIN_DAY) | (days > _MAX_DAY))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _RowError(name, row, "the date is outside the supported range 1400-01-01 to "
                        "9999-12-31")
    return np.where(valid, days, 0)


def _refuse_kind(name: str, dtype: Any, first: Any) -> None:
    """SchemaError for column kinds a pool cannot hold (Timedelta, Period, Interval)."""
    import datetime as _dt

    import pandas as pd

    what = None
    if pd.api.types.is_timedelta64_dtype(dtype) or isinstance(first, (_dt.timedelta, np.timedelta64)):
        what = "durations (Timedelta); convert them to a number, e.g. .dt.days"
    elif isinstance(dtype, pd.PeriodDtype) or isinstance(first, pd.Period):
        what = "periods (Period); convert them to dates, e.g. .dt.start_time"
    elif isinstance(dtype, pd.IntervalDtype) or isinstance(first, pd.Interval):
        what = "intervals (Interval)"
    if what is not None:
        raise _core.SchemaError(f'column "{name}": a pool column cannot hold {what}')
def _mask_of(series: Any) -> np.ndarray:
    return ~np.asarray(series.isna(), dtype=bool)


def _from_arrow_dtype(name: str, s: "pd.Series", dtype: Any) -> "pd.Series":
    """A pyarrow-backed Series (pd.ArrowDtype) as the numpy/masked pandas dtype it maps to."""
    import pandas as pd
    import pyarrow as pa

    t = dtype.pyarrow_dtype
    if pa.types.is_timestamp(t):
        # Keep the zone: an aware column must become Vietnam dates, not UTC ones.
        if t.tz is not None:
            return s.astype(pd.DatetimeTZDtype(unit=t.unit, tz=t.tz))
        return s.astype(f"datetime64[{t.unit}]")
    if pa.types.is_date(t):
        return s.astype("datetime64[s]")
    if pa.types.is_duration(t):
        return s.astype(f"timedelta64[{t.unit}]")  # refused by _refuse_kind
    if pa.types.is_floating(t):
        return s.astype("float64")
    if pa.types.is_integer(t):
        return s.astype("Int64")
    if pa.types.is_boolean(t):
        return s.astype("boolean")
    if pa.types.is_dictionary(t):
        return s.astype(object).astype("category")
    return s.astype(object)


def _arrow_spec(name: str, s: "pd.Series", kind: str, as_category: bool | None) -> Any:
    """(name, "arrow", chunked array, infer_categories) when pyarrow is installed and converts
    the column to strings ("text") or lists of strings ("list"): the C++ Arrow importer then
    reads it without a Python object per value, with the same result (dictionary order of first
    appearance, category when values repeat unless as_category is False). Else None."""
    try:
        import pyarrow as pa
    except ImportError:
        return None
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if not _arrow_strings(arr.type, kind):
        return None
    return (name, "arrow", arr, as_category is not False)


def _arrow_strings(t: Any, kind: str) -> bool:
    """Whether the Arrow type t is strings ("text": plain or dictionary-encoded) or lists of
    them ("list"), the types the C++ Arrow importer reads as text, category or list columns."""
    import pyarrow as pa

    strings = (pa.string(), pa.large_string(), pa.string_view())

    def is_strings(x: Any) -> bool:
        return x in strings or (pa.types.is_dictionary(x) and x.value_type in strings)

    if kind == "list":
        return (pa.types.is_list(t) or pa.types.is_large_list(t)) and is_strings(t.value_type)
    return is_strings(t)


def _arrow_backed_spec(name: str, s: "pd.Series", as_category: bool | None) -> Any:
    """A pd.ArrowDtype column of strings, dictionary-encoded strings or lists of strings handed
    to the C++ Arrow importer as it is (no conversion through Python objects); else None."""
    import pyarrow as pa

    t = s.dtype.pyarrow_dtype
    kind = "list" if pa.types.is_list(t) or pa.types.is_large_list(t) else "text"
    if not _arrow_strings(t, kind):
        return None
    return _arrow_spec(name, s, kind, as_category)


def _spec_for(name: str, values: Any, as_category: bool | None) -> tuple[Any, ...]:
    """(name, type, data, extra) for Pool._from_columns from a pandas Series or array-like."""
    import pandas as pd

    s = values if isinstance(values, pd.Series) else pd.Series(values)
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype):
        arrow = _arrow_backed_spec(name, s, as_category)
        if arrow is not None:
            return arrow
        s = _from_arrow_dtype(name, s, dtype)
        dtype = s.dtype
    _refuse_kind(name, dtype, None)
    if isinstance(dtype, pd.CategoricalDtype):
        # The categories keep their order; an ordered categorical's order is the values' order
        # (worst first), so rules may compare it with <, <=, >, >=.
        cats = [str(c) for c in dtype.categories]
        return (name, "category", np.asarray(s.cat.codes, dtype=np.int32), cats,
                bool(dtype.ordered))
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
        if getattr(dtype, "tz", None) is not None:
            # An instant: its calendar date in Vietnam, never the UTC date (a submission at
            # 2024-10-01 06:00+07:00 was made on 1 October).
            s = s.dt.tz_convert(_VIETNAM).dt.tz_localize(None)
        # In the column's own unit (s, ms, us or ns): no overflow for years beyond 2262.
        stamps = s.to_numpy()
        days = stamps.astype("datetime64[D]").astype(np.int64)
        days = _checked_days(name, days, valid)
        # Times of day, to the second (wall clock; Vietnam's for aware columns): kept when some
        # present value is not at midnight, which makes a datetime column.
        seconds = stamps.astype("datetime64[s]").astype(np.int64) - days * 86400
        seconds = np.where(valid, seconds, 0).astype(np.int32)
        if seconds.any():
            return (name, "date", days, valid, seconds)
        return (name, "date", days, valid)
    # object / string columns: lists, dates, or strings. The kind is decided by the present
    # values; strings are dictionary-encoded by pandas.factorize (vectorised), not in Python.
    missing = np.asarray(s.isna(), dtype=bool)
    present = s[~missing]
    first = present.iloc[0] if len(present) else None
    _refuse_kind(name, dtype, first)
    if isinstance(first, (list, tuple, set, frozenset, np.ndarray)):
        # Read in one C++ pass over the row objects (no Python call per row or item): items
        # dictionary-encoded in order of first appearance, non-str items as str(item).
        return (name, "object_lists", s.to_numpy(dtype=object), ~missing)
    import datetime as _dt

    if isinstance(first, _dt.datetime) and all(isinstance(v, _dt.datetime) for v in present):
        # datetime objects: through pandas (aware ones to Vietnam's date, as above).
        aware = [v.tzinfo is not None for v in present]
        if any(aware) and not all(aware):
            raise _core.SchemaError(f'column "{name}": mixes datetimes with and without a time '
                                    "zone; give them all one")
        return _spec_for(name, pd.Series(pd.to_datetime(s, utc=any(aware)), index=s.index),
                         as_category)
    if isinstance(first, _dt.date) and all(isinstance(v, _dt.date) for v in present):
        days = np.array([v if not m else None for v, m in zip(s.tolist(), missing)],
                        dtype="datetime64[D]")
        ints = (days - _EPOCH).astype(np.int64)
        return (name, "date", _checked_days(name, ints, ~missing), ~missing)
    if isinstance(first, str):
        arrow = _arrow_spec(name, s, "text", as_category)
        if arrow is not None:
            return arrow
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


def _located(error: _RowError, ids: Any) -> _core.DataError:
    """DataError naming the nominee (or the row when the id is unknown) and the column.
    ``ids``: the id column's values (a sequence or a Series, read by position), or None."""
    try:
        value = ids.iloc[error.row] if hasattr(ids, "iloc") else ids[error.row]
        who = f'row "{value}"'
    except (IndexError, KeyError, TypeError):
        who = f'row "row {error.row + 1}"'
    return _core.DataError(f'{who}: column "{error.column}": {error.message}')


def from_pandas(df: "pd.DataFrame", id: str = "id") -> _core.Pool:
    """A Pool from a DataFrame. float64 columns are shared, not copied; integer, boolean and
    datetime columns keep their missing values; Categorical columns stay categories (in their
    categories' order); object columns of lists become list columns, of dates date columns, of
    strings category or text (category when at most half the values are distinct). The id
    column becomes text.

    Datetimes become date columns that keep their times of day (to the second) when some value is
    not at midnight: a time-zone-aware column (or aware datetime objects) gives each instant's
    date and time in Vietnam (Asia/Ho_Chi_Minh), a naive one its own wall-clock time. Rules
    compare them with dates (by day) or with ``datetime("30/09/2024 17:00")`` (to the second);
    ``to_pandas`` gives them back as datetime64[s]. Dates outside 1400-01-01..9999-12-31 raise DataError naming the
    row's id and the column; Timedelta, Period and Interval columns raise SchemaError naming the
    column. An ordered Categorical stays ordered (its categories, worst first, are the order rules
    compare by: ``conduct >= "Khá"``; docs/rules.md). With pyarrow installed, string and list columns are converted by pyarrow
    and read by the C++ Arrow importer (faster; the same pool)."""
    specs = []
    ids = df[id] if id in df.columns else None
    for name in df.columns:
        col = df[name]
        as_category = False if name == id else None
        try:
            specs.append(_spec_for(str(name), col, as_category))
        except _RowError as e:
            raise _located(e, ids) from None
    return _core.Pool._from_columns(specs, id)


def from_dict(columns: Mapping[str, Sequence[Any] | np.ndarray], id: str = "id") -> _core.Pool:
    """A Pool from a mapping of column name to numpy array or sequence (see from_pandas)."""
    specs = []
    ids = columns[id] if id in columns else None
    for name, values in columns.items():
        try:
            specs.append(_spec_for(str(name), values, False if name == id else None))
        except _RowError as e:
            raise _located(e, ids) from None
    return _core.Pool._from_columns(specs, id)


def _column_names(columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        raise TypeError("columns must be a list of column names, not one string")
    return [str(c) for c in columns]


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
    columns: Sequence[str] | None = None,
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

    ``columns`` reads only the columns named (and the id column), like pandas' ``usecols``: the
    others are still split into fields, so every row's field count and the text (UTF-8) are
    checked, but their cells are not converted or kept (nor checked against a type). A name the
    file lacks is a SchemaError. :func:`select` given a file reads only the columns its criteria,
    rules, order, group and report use.

    ``progress`` (off by default): True shows a tqdm bar (or a stderr line without tqdm); a
    callable ``f(phase, done, total)`` is called with phase "reading" (bytes of the file, about
    once per MB, the last call with done == total) and then once with phase "rows"
    (done == total == the number of rows read).
    """
    return _read_csv(
        path,
        progress,
        id=id,
        schema=dict(schema) if schema is not None else None,
        sep=sep,
        decimal=decimal,
        na_values=list(na_values) if na_values is not None else None,
        threads=threads,
        max_bytes=max_bytes,
        max_field_lines=max_field_lines,
        mixed_columns=mixed_columns,
        columns=_column_names(columns),
    )


def _read_csv(path: str | os.PathLike[str], progress: ProgressArg, **options: Any) -> _core.Pool:
    """_core.read_csv with `options`, and the progress phases of read_csv ("reading", "rows")."""
    report = reporter(progress, f"read_csv {os.fspath(path)}")
    raw = None if report is None else (lambda done, total: report("reading", done, total))
    pool = _core.read_csv(os.fspath(path), progress=raw, **options)
    if report is not None:
        report("rows", len(pool), len(pool))
    return pool
