"""khuyenhoc: criteria scoring, eligibility rules, ranking and selection, and plan checking for
Vietnamese study-promotion (khuyến học, khuyến tài) work, on a C++ engine.

>>> import khuyenhoc as kh
>>> pool = kh.generate_pool(1000, seed=1)
>>> len(pool)
1000
"""

from . import _core
from ._core import (
    DataError,
    Error,
    IOError,  # noqa: A004  (khuyenhoc.IOError subclasses the builtin OSError)
    LimitError,
    ParseError,
    Pool,
    SchemaError,
    SpecError,
    generate_pool,
)
from ._pool import column_array, from_dict, from_pandas, read_csv, to_pandas
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
    "IOError",
    "LimitError",
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
from ._core import (  # noqa: E402
    CompiledRules,
    Rules,
    Verdicts,
    check_expression,
    evaluate,
    parse_param_assignment,
)
from ._rules import rules_from_dict as _rules_from_dict  # noqa: E402
from ._rules import verdicts_to_pandas as _verdicts_to_pandas  # noqa: E402
from ._rules import with_achievements as _with_achievements  # noqa: E402

Rules.from_dict = staticmethod(_rules_from_dict)  # type: ignore[attr-defined]
Verdicts.to_pandas = _verdicts_to_pandas  # type: ignore[attr-defined]
Pool.with_achievements = _with_achievements  # type: ignore[attr-defined]

__all__ += [
    "CompiledRules",
    "Rules",
    "Verdicts",
    "check_expression",
    "evaluate",
    "parse_param_assignment",
]
# --- end rules ---

# --- plans and the schedule checker (plan.hpp) ---
from ._core import Finding, Findings, Plan, Task  # noqa: E402
from ._plan import (  # noqa: E402
    _findings_repr_html,
    _findings_to_pandas,
    _from_table,
    _plan_to_pandas,
    find_overloads,
)

Plan.from_table = staticmethod(_from_table)  # type: ignore[attr-defined]
Plan.to_pandas = _plan_to_pandas  # type: ignore[attr-defined]
Findings.to_pandas = _findings_to_pandas  # type: ignore[attr-defined]
Findings._repr_html_ = _findings_repr_html  # type: ignore[attr-defined]

__all__ += ["Finding", "Findings", "Plan", "Task", "find_overloads"]
# --- end plans and the schedule checker ---

# --- notebook display (_display.py): reprs of the result objects ---
from ._display import (  # noqa: E402
    plan_repr as _plan_repr,
    plan_repr_html as _plan_repr_html,
    pool_repr_html as _pool_repr_html,
    score_table_repr as _score_table_repr,
    score_table_repr_html as _score_table_repr_html,
    verdicts_repr_html as _verdicts_repr_html,
)

Pool._repr_html_ = _pool_repr_html  # type: ignore[method-assign,assignment]
ScoreTable.__repr__ = _score_table_repr  # type: ignore[assignment]
ScoreTable._repr_html_ = _score_table_repr_html  # type: ignore[method-assign,assignment]
Verdicts._repr_html_ = _verdicts_repr_html  # type: ignore[method-assign,assignment]
Plan.__repr__ = _plan_repr  # type: ignore[assignment]
Plan._repr_html_ = _plan_repr_html  # type: ignore[method-assign,assignment]
# --- end notebook display ---

# --- Arrow and Parquet doors (arrow.hpp; Parquet through the optional pyarrow) ---
from ._arrow import read_parquet, to_parquet as _to_parquet  # noqa: E402

Pool.to_parquet = _to_parquet  # type: ignore[attr-defined]

__all__ += ["read_parquet"]
# --- end Arrow and Parquet doors ---
