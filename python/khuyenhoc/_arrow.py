"""Parquet through pyarrow (the optional extra ``khuyenhoc[arrow]``).

The conversions are the C++ library's Arrow C Data Interface (``Pool.from_arrow`` and
``Pool.__arrow_c_stream__``); pyarrow only reads and writes the files.
"""

from __future__ import annotations

import os
from typing import Any

from . import _core


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - exercised by test_arrow with pyarrow hidden
        raise ImportError(
            "reading and writing Parquet needs pyarrow: pip install 'khuyenhoc[arrow]' "
            "(or pip install pyarrow)"
        ) from e
    return pq


def read_parquet(
    path: str | os.PathLike[str],
    *,
    id: str = "id",
    columns: list[str] | None = None,
    infer_categories: bool = True,
) -> _core.Pool:
    """Reads a Parquet file into a Pool (needs pyarrow: ``pip install 'khuyenhoc[arrow]'``).

    ``columns`` reads only those columns (the id column is added when missing). Types map as in
    ``Pool.from_arrow``: dictionary-encoded strings stay categories, timestamps with a time zone
    become their date in Vietnam, durations and decimals raise SchemaError naming the column.
    A missing file raises FileNotFoundError; a file that is not Parquet raises pyarrow's error.
    """
    pq = _pyarrow_parquet()
    if columns is not None and id not in columns:
        columns = [id, *columns]
    table = pq.read_table(os.fspath(path), columns=columns)
    return _core.Pool.from_arrow(table, id=id, infer_categories=infer_categories)


def to_parquet(pool: _core.Pool, path: str | os.PathLike[str], **options: Any) -> None:
    """Writes the pool as Parquet (needs pyarrow: ``pip install 'khuyenhoc[arrow]'``).

    Categories are written dictionary-encoded, text as strings, lists as lists, dates as
    date32; ``options`` go to ``pyarrow.parquet.write_table`` (e.g. ``compression="zstd"``).
    The file is written to a temporary name in the same directory and renamed into place, so
    an interrupted write leaves any previous file intact. ``read_parquet`` reads it back with
    the same column types.
    """
    pq = _pyarrow_parquet()
    import pyarrow as pa

    table = pa.table(pool)
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    tmp = os.path.join(directory, f".{os.path.basename(target)}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, **options)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
