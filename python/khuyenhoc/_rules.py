"""Convenience methods of Rules and Verdicts written in Python (dict input, pandas output).
The logic lives in C++: these only convert."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._core import Rules, Verdicts

STATUS_NAMES = ("pass", "fail", "unknown", "not_applicable")


def rules_from_dict(d: dict[str, Any]) -> Rules:
    """A rule set from a Python dict shaped like the YAML format (see docs/rules.md)."""
    # JSON is YAML: the one C++ reader checks keys and values. Numbers stay numbers; strings
    # are quoted, so decision-table labels stay labels.
    return Rules.from_text(json.dumps(d, ensure_ascii=False), "<dict>")


def verdicts_to_pandas(self: Verdicts, reasons: bool = True) -> Any:
    """One row per nominee: id, eligible, one status column per rule (categorical pass / fail /
    unknown / not_applicable), the rendered reasons joined by "; ", and table outputs."""
    import pandas as pd

    out: dict[str, Any] = {"id": self.ids, "eligible": np.asarray(self.eligible)}
    status = np.asarray(self.status)
    cats = pd.CategoricalDtype(list(STATUS_NAMES))
    for k, rule in enumerate(self.rule_ids):
        out[rule] = pd.Categorical.from_codes(status[:, k].astype(np.int64), dtype=cats)
    for table_id, t in self.tables.items():
        out[t["output"]] = t["value"]
    if reasons:
        per_rule = [self.reasons_of(rule) for rule in self.rule_ids]
        joined = []
        for row in range(len(self)):
            texts = [r[row] for r in per_rule if r[row]]
            joined.append("; ".join(texts))
        out["reasons"] = joined
    return pd.DataFrame(out)
