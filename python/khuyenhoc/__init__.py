"""khuyenhoc: criteria scoring, eligibility rules, ranking and selection, and plan checking for
Vietnamese study-promotion (khuyến học, khuyến tài) work, on a C++ engine.

>>> import khuyenhoc as kh
>>> pool = kh.generate_pool(1000, seed=1)
>>> len(pool)
1000
"""

from __future__ import annotations

from . import _core
from ._core import (
    DataError,
    Error,
    ParseError,
    Pool,
    SchemaError,
    SpecError,
    generate_pool,
    read_csv,
)
from ._pool import column_array, from_dict, from_pandas, to_pandas
from ._selection import Selection, select

__version__: str = _core.__version__

# Convenience methods of Pool written in Python (pandas / numpy conversions).
Pool.to_pandas = to_pandas  # type: ignore[attr-defined]
Pool.from_pandas = staticmethod(from_pandas)  # type: ignore[attr-defined]
Pool.from_dict = staticmethod(from_dict)  # type: ignore[attr-defined]
Pool.__getitem__ = column_array  # type: ignore[attr-defined]

__all__ = [
    "__version__",
    "Error",
    "ParseError",
    "SchemaError",
    "SpecError",
    "DataError",
    "Pool",
    "read_csv",
    "generate_pool",
    "Selection",
    "select",
]

# --- other areas append their imports and __all__ entries below, one marked block each ---

# --- calendar and time expressions (calendar.hpp, time_expr.hpp) ---
from ._core import (  # noqa: E402
    Calendar,
    Holiday,
    TimeExpr,
    holidays,
    lunar_leap_month,
    lunar_month_length,
    lunar_to_solar,
    parse_time,
    solar_to_lunar,
)

__all__ += [
    "Calendar",
    "Holiday",
    "TimeExpr",
    "holidays",
    "lunar_leap_month",
    "lunar_month_length",
    "lunar_to_solar",
    "parse_time",
    "solar_to_lunar",
]
# --- end calendar and time expressions ---

# --- ranking and apportionment (ranking.hpp, apportion.hpp) ---
from ._core import apportion, order, rank, top_k_per_group  # noqa: E402

__all__ += ["apportion", "order", "rank", "top_k_per_group"]
# --- end ranking and apportionment ---

# --- criteria scoring, panel aggregation, MCDA (criteria.hpp) ---
from . import mcda  # noqa: E402
from ._core import CompiledCriteria, CriteriaSet, Explanation, ScoreTable  # noqa: E402
from ._criteria import (  # noqa: E402
    aggregate_panel,
    criteria_from_dict,
    score_table_to_pandas,
)

CriteriaSet.from_dict = staticmethod(criteria_from_dict)  # type: ignore[attr-defined]
ScoreTable.to_pandas = score_table_to_pandas  # type: ignore[attr-defined]

__all__ += [
    "CompiledCriteria",
    "CriteriaSet",
    "Explanation",
    "ScoreTable",
    "aggregate_panel",
    "mcda",
]
# --- end criteria scoring, panel aggregation, MCDA ---

# --- rules (rules.hpp) ---
from ._core import CompiledRules, Rules, Verdicts, check_expression, evaluate  # noqa: E402
from ._rules import rules_from_dict as _rules_from_dict  # noqa: E402
from ._rules import verdicts_to_pandas as _verdicts_to_pandas  # noqa: E402

Rules.from_dict = staticmethod(_rules_from_dict)  # type: ignore[attr-defined]
Verdicts.to_pandas = _verdicts_to_pandas  # type: ignore[attr-defined]

__all__ += ["CompiledRules", "Rules", "Verdicts", "check_expression", "evaluate"]
# --- end rules ---

# --- plans and the schedule checker (plan.hpp) ---
from ._core import Finding, Findings, Plan, Task  # noqa: E402
from ._plan import (  # noqa: E402
    _findings_repr_html,
    _findings_to_pandas,
    _from_table,
    _plan_to_pandas,
)

Plan.from_table = staticmethod(_from_table)  # type: ignore[attr-defined]
Plan.to_pandas = _plan_to_pandas  # type: ignore[attr-defined]
Findings.to_pandas = _findings_to_pandas  # type: ignore[attr-defined]
Findings._repr_html_ = _findings_repr_html  # type: ignore[attr-defined]

__all__ += ["Finding", "Findings", "Plan", "Task"]
# --- end plans and the schedule checker ---
