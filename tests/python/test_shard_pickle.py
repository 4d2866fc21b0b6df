"""Criteria and rule sets pickle as their text and origin name (issue 17): Dask's task graphs,
client.scatter and multiprocessing ship them without a file on the worker, with the parameters
given, and the same results; a text is parsed once per process when unpickled."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

import khuyenhoc as kh

ROOT = Path(__file__).resolve().parents[2]
CRITERIA = ROOT / "examples" / "criteria" / "honour_pupils.yaml"
RULES = ROOT / "examples" / "rules" / "honour_pupils.yaml"
AWARD_RULES = ROOT / "examples" / "award" / "rules.yaml"
AWARD_CRITERIA = ROOT / "examples" / "award" / "criteria.yaml"


def test_round_trip_gives_the_same_selection() -> None:
    criteria = kh.CriteriaSet.from_file(CRITERIA)
    rules = kh.Rules.from_file(RULES)
    c2 = pickle.loads(pickle.dumps(criteria))
    r2 = pickle.loads(pickle.dumps(rules))
    assert isinstance(c2, kh.CriteriaSet) and isinstance(r2, kh.Rules)
    assert (c2.name, c2.id, c2.version, c2.level_codes) == (
        criteria.name, criteria.id, criteria.version, criteria.level_codes)
    assert (r2.name, r2.ids) == (rules.name, rules.ids)
    pool = kh.generate_pool(400, seed=5)
    options = {"seats": 30, "per": "district", "order": ["exam_score desc", "name:full_name"]}
    want = kh.select(pool, criteria, rules, **options).table
    got = kh.select(pool, c2, r2, **options).table
    assert got.equals(want)
    # A copy of a copy still pickles (the text travels with it).
    assert pickle.loads(pickle.dumps(c2)).name == criteria.name


def test_the_state_is_the_text_and_origin_not_a_path() -> None:
    criteria = kh.CriteriaSet.from_file(CRITERIA)
    data = pickle.dumps(criteria)
    assert CRITERIA.read_text(encoding="utf-8").splitlines()[0].encode() in data
    from_text = kh.CriteriaSet.from_text(CRITERIA.read_text(encoding="utf-8"), "mine.yaml")
    assert pickle.loads(pickle.dumps(from_text)).name == criteria.name
    d = kh.CriteriaSet.from_dict({
        "id": "t", "name": "T", "criteria": [{"id": "a", "name": "A", "indicators": [
            {"id": "x", "name": "X", "value": "exam_score",
             "bands": [{"at_least": 5, "points": 10}]}]}]})
    assert pickle.loads(pickle.dumps(d)).name == "T"


def test_parameters_travel() -> None:
    rules = kh.Rules.from_file(AWARD_RULES, params={"window_end": dt.date(2025, 8, 31)})
    later = rules.with_params({"diem_tb": 7.5})
    back = pickle.loads(pickle.dumps(later))
    assert back.params == later.params
    assert back.params["window_end"] == dt.date(2025, 8, 31) and back.params["diem_tb"] == 7.5
    # The original keeps its parameters; a copy made by with_params pickles too.
    assert pickle.loads(pickle.dumps(rules)).params == rules.params
    criteria = kh.CriteriaSet.from_file(AWARD_CRITERIA)
    changed = criteria.with_params({name: value for name, value in criteria.params.items()})
    assert pickle.loads(pickle.dumps(changed)).params == criteria.params


def test_a_broken_state_is_refused() -> None:
    criteria = kh.CriteriaSet.from_file(CRITERIA)
    (text, name), params = criteria.__getstate__()
    with pytest.raises(kh.Error, match="broken.yaml"):
        kh.CriteriaSet.__new__(kh.CriteriaSet).__setstate__(
            (("criteria: [\n  - {id: a", "broken.yaml"), params))
