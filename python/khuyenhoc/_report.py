"""The selection report, Python side: input checksums (hashlib) and metadata, then the C++
renderer (``report.hpp``) writes the HTML, so the CLI and Python give the same document."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from ._selection import Selection


@dataclass(frozen=True)
class ReportContext:
    """What a selection keeps for its report: the C++ result and what it was made from."""

    result: _core._SelectionResult
    pool: _core.Pool
    scores: Any
    eligibility: Any
    per: str | None


def file_sha256(path: str | os.PathLike[str]) -> tuple[str, int]:
    """The hex SHA-256 of a file's bytes and its size in bytes."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def report_html(
    selection: Selection,
    *,
    inputs: Mapping[str, str | os.PathLike[str]] | None = None,
    criteria: _core.CriteriaSet | None = None,
    rules: _core.Rules | None = None,
    title: str | None = None,
    organisation: str = "",
    signatures: Sequence[str] | None = None,
    name_column: str | None = "full_name",
    generated_at: str | bool | None = None,
) -> str:
    """The report of ``selection`` as one HTML5 document (see ``Selection.report_html``)."""
    ctx = selection._report_context
    if ctx is None:
        raise ValueError(
            "this Selection was not made by khuyenhoc.select: it has no report data"
        )
    meta: dict[str, Any] = {"organisation": organisation, "group_label": ctx.per or ""}
    if title is not None:
        meta["title"] = title
    if signatures is not None:
        meta["signatures"] = list(signatures)
    if inputs:
        rows = []
        for role, path in inputs.items():
            sha, size = file_sha256(path)
            rows.append((str(role), os.fspath(path), sha, size))
        meta["inputs"] = rows
    specs = []
    if criteria is not None:
        specs.append(("criteria", criteria.id, criteria.name, criteria.version))
    if rules is not None:
        specs.append(("rules", "", rules.name, rules.version))
    meta["specs"] = specs
    funnel = getattr(ctx.eligibility, "funnel", None)
    if funnel is not None and not callable(funnel):
        descriptions = (
            dict(zip(rules.ids, rules.descriptions)) if rules is not None else {}
        )
        meta["funnel"] = [
            dict(step, description=descriptions.get(step["rule"], ""))
            for step in funnel
        ]
    if name_column and name_column in ctx.pool.columns:
        if ctx.pool.column_type(name_column) in ("text", "category"):
            meta["names"] = ["" if v is None else str(v) for v in ctx.pool[name_column]]
    level_name = getattr(ctx.scores, "level_name", None)
    if level_name is not None and not callable(level_name):
        meta["classification"] = ["" if v is None else str(v) for v in level_name]
    if generated_at is True:
        now = _dt.datetime.now(_dt.timezone.utc)
        meta["generated_at"] = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    elif isinstance(generated_at, str) and generated_at:
        meta["generated_at"] = generated_at
    return _core._selection_report_html(ctx.result, meta)
