"""khuyenhoc: criteria scoring, eligibility rules, ranking and selection, and plan checking for
Vietnamese study-promotion (khuyến học, khuyến tài) work, on a C++ engine.

>>> import khuyenhoc as kh
>>> pool = kh.generate_pool(1000, seed=1)
>>> len(pool)
1000

Only public names are defined here. Methods of the engine's classes that are written in Python
(pandas, dict and HTML conversions) are declared with the classes by the extension
(python/src/register_python_methods.cpp), not attached here; `import khuyenhoc` needs numpy only.
"""

from . import _core, mcda
from ._arrow import read_parquet
from ._core import (
    Calendar,
    CompiledCriteria,
    CompiledRules,
    CriteriaSet,
    DataError,
    Error,
    Explanation,
    Finding,
    Findings,
    Holiday,
    IOError,  # noqa: A004  (khuyenhoc.IOError subclasses the builtin OSError)
    LimitError,
    ParseError,
    Plan,
    Pool,
    Rules,
    SchemaError,
    ScoreTable,
    SpecError,
    Task,
    TimeExpr,
    Verdicts,
    apportion,
    check_expression,
    evaluate,
    generate_pool,
    holidays,
    lunar_leap_month,
    lunar_month_length,
    lunar_to_solar,
    order,
    parse_param_assignment,
    parse_time,
    rank,
    solar_to_lunar,
    top_k_per_group,
)
from ._criteria import aggregate_panel
from ._plan import find_overloads
from ._pool import from_dict, from_pandas, read_csv
from ._selection import Selection, select
from ._shard import (
    MergedShards,
    finish_shard,
    merge_shards,
    resolve_ties,
    shard_summary,
    shard_ties,
)

__version__: str = _core.__version__

__all__ = [
    "__version__",
    # errors
    "Error",
    "ParseError",
    "SchemaError",
    "SpecError",
    "DataError",
    "IOError",
    "LimitError",
    # pools
    "Pool",
    "read_csv",
    "read_parquet",
    "from_dict",
    "from_pandas",
    "generate_pool",
    # the selection pipeline
    "Selection",
    "select",
    # the selection over partitions (khuyenhoc.dask, Spark, Ray, job runners)
    "shard_summary",
    "merge_shards",
    "finish_shard",
    "shard_ties",
    "resolve_ties",
    "MergedShards",
    # criteria scoring, panels, MCDA
    "CompiledCriteria",
    "CriteriaSet",
    "Explanation",
    "ScoreTable",
    "aggregate_panel",
    "mcda",
    # rules
    "CompiledRules",
    "Rules",
    "Verdicts",
    "check_expression",
    "evaluate",
    "parse_param_assignment",
    # ranking and apportionment
    "apportion",
    "order",
    "rank",
    "top_k_per_group",
    # calendar and time expressions
    "Calendar",
    "Holiday",
    "TimeExpr",
    "holidays",
    "lunar_leap_month",
    "lunar_month_length",
    "lunar_to_solar",
    "parse_time",
    "solar_to_lunar",
    # plans
    "Finding",
    "Findings",
    "Plan",
    "Task",
    "find_overloads",
]
