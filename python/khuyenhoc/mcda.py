"""MCDA for analysts: normalisation (minmax, zscore, vector) and aggregation (weighted sum,
TOPSIS) over chosen numeric columns, computed in C++. The definitions match pymcdm and
scikit-criteria (docs/criteria.md lists them, with the defined results for constant columns).

`data` is a khuyenhoc.Pool (with `columns`), a pandas DataFrame (optionally with `columns`) or a
2-D array (rows = alternatives, columns = criteria). `types` gives "benefit"/"cost" (or 1/-1 as
pymcdm writes them) per column; default all benefit.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import _core

__all__ = ["decision_matrix", "normalize", "weighted_sum", "topsis"]


def decision_matrix(data: Any, columns: Sequence[str] | None = None) -> np.ndarray:
    """The decision matrix as a Fortran-ordered float64 array (rows × criteria).

    From a Pool the chosen number/integer columns are gathered in C++ (a missing value raises
    DataError naming the row); arrays are used without a copy when already float64 Fortran.
    """
    if isinstance(data, _core.Pool):
        if columns is None:
            raise TypeError("choose the pool's columns: columns=[...]")
        return _core._mcda_matrix(data, list(columns))
    if columns is not None:
        data = data[list(columns)]
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 2:
        raise _core.SpecError("MCDA: the decision matrix must be two-dimensional")
    return np.asfortranarray(arr)


def _types(types: Any, k: int) -> list[str]:
    if types is None:
        return ["benefit"] * k
    out = []
    for t in types:
        if isinstance(t, (int, np.integer, float, np.floating)):
            out.append("benefit" if t > 0 else "cost")
        else:
            out.append(str(t))
    return out


def normalize(
    data: Any,
    types: Sequence[Any] | None = None,
    method: str = "minmax",
    *,
    columns: Sequence[str] | None = None,
) -> np.ndarray:
    """Normalises each column: `minmax`, `zscore` (population σ), `vector` or `none`."""
    m = decision_matrix(data, columns)
    return _core._mcda_normalize(m, _types(types, m.shape[1]), method)


def weighted_sum(
    data: Any,
    weights: Sequence[float],
    types: Sequence[Any] | None = None,
    normalization: str = "minmax",
    *,
    columns: Sequence[str] | None = None,
) -> np.ndarray:
    """Σ_j w_j · r_ij over the normalised matrix (weights as given: finite, ≥ 0, not all 0)."""
    m = decision_matrix(data, columns)
    w = np.asarray(weights, dtype=np.float64).tolist()
    return _core._mcda_weighted_sum(m, w, _types(types, m.shape[1]), normalization)


def topsis(
    data: Any,
    weights: Sequence[float],
    types: Sequence[Any] | None = None,
    normalization: str = "minmax",
    *,
    columns: Sequence[str] | None = None,
) -> np.ndarray:
    """TOPSIS relative closeness D⁻ / (D⁺ + D⁻) in [0, 1]; 0.5 when all rows are equal."""
    m = decision_matrix(data, columns)
    w = np.asarray(weights, dtype=np.float64).tolist()
    return _core._mcda_topsis(m, w, _types(types, m.shape[1]), normalization)
