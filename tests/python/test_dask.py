"""khuyenhoc.dask on a real dask.distributed LocalCluster (two worker processes, loopback): the
distributed result equals khuyenhoc.select on the whole pool row for row; and the plain
shard_summary / merge_shards / finish_shard functions give the same, through Arrow IPC bytes."""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import khuyenhoc as kh

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
import khuyenhoc.dask  # noqa: E402  (after the importorskips)

ROOT = Path(__file__).resolve().parents[2]
CRITERIA = str(ROOT / "examples" / "criteria" / "honour_pupils.yaml")
RULES = str(ROOT / "examples" / "rules" / "honour_pupils.yaml")


@pytest.fixture(scope="module", autouse=True)
def lists_stay_lists() -> Any:
    # dask turns object columns into strings by default, list columns included (the pool's
    # prizes and documents): keep them as Python lists, as a pandas user's frame has them.
    with dask.config.set({"dataframe.convert-string": False}):
        yield


@pytest.fixture(scope="module")
def client() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
            dashboard_address=None,
        )
        c = distributed.Client(cluster)
    yield c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def frame() -> "pd.DataFrame":
    # Scores rounded to halves give many ties at the cut-offs.
    return kh.generate_pool(1500, seed=17).to_pandas()


def _reference(df: "pd.DataFrame", **options: Any) -> "pd.DataFrame":
    return kh.select(kh.from_pandas(df), CRITERIA, RULES, **options).table


def _same(got: "pd.DataFrame", want: "pd.DataFrame") -> None:
    got = got.reset_index(drop=True)
    want = want.reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    for c in want.columns:
        g, w = got[c], want[c]
        if str(w.dtype) == "category" or str(g.dtype) == "category":
            g, w = g.astype(object), w.astype(object)
        pd.testing.assert_series_equal(g, w, check_names=True, obj=c)


def _partitions(df: "pd.DataFrame", parts: list["pd.DataFrame"]) -> "dd.DataFrame":
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=df.iloc[:0],
                           verify_meta=False)


SCENARIOS: dict[str, dict[str, Any]] = {
    "global": {"seats": 40, "order": ["exam_score desc"]},
    "apportion": {"seats": 60, "per": "district", "order": ["exam_score desc", "name:full_name"]},
    "levels": {"per": "district", "levels": [("Giải Nhất", 12), ("Giải Nhì", 30, 60.0)],
               "order": "name:full_name"},
    "include": {"seats": 45, "per": "district", "ties": "include"},
    "exclude": {"seats": 45, "per": "district", "ties": "exclude"},
    "lottery": {"seats": 50, "per": "district", "order": "lottery", "seed": 7},
    "cap": {"seats": 80, "per": "district", "cap_share": 0.03, "min_score": 40.0},
    "global_cap": {"seats": 40, "per": "district", "mode": "global", "cap_share": 0.02,
                   "order": "exam_score desc"},
    "weigh_eligible": {"seats": 33, "per": "district", "weigh_eligible": True,
                       "method": "sainte_lague", "group_min": 1},
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_dask_equals_single_run(client: Any, frame: "pd.DataFrame", name: str) -> None:
    options = SCENARIOS[name]
    want = _reference(frame, **options)
    if name == "exclude":
        assert (want["status"] == "tied_out").any()  # the scenario has ties at a cut-off
    if name == "include":
        outcomes = kh.select(kh.from_pandas(frame), CRITERIA, RULES, **options).outcomes
        assert (outcomes["selected"] > outcomes["quota"]).any()
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    got = kh.dask.select(ddf, CRITERIA, RULES, **options).compute()
    _same(got, want)


def test_empty_single_group_and_whole_group_partitions(client: Any, frame: "pd.DataFrame") -> None:
    districts = sorted(frame["district"].astype(str).unique())
    first = frame[frame["district"] == districts[0]]  # all of one group
    rest = frame[frame["district"] != districts[0]]
    second = rest[rest["district"] == districts[1]].iloc[:5]  # part of one group only
    others = rest.drop(second.index)
    parts = [frame.iloc[:0], first, second, others.iloc[: len(others) // 2], frame.iloc[:0],
             others.iloc[len(others) // 2:]]
    data = pd.concat(parts)
    options = {"seats": 70, "per": "district", "levels": [("A", 20), ("B", 50)],
               "order": ["exam_score desc", "name:full_name"]}
    want = _reference(data, **options)
    got = kh.dask.select(_partitions(frame, parts), CRITERIA, RULES, **options).compute()
    _same(got, want)


def test_group_without_ranked_nominees_keeps_its_seats(client: Any, frame: "pd.DataFrame") -> None:
    # One district's nominees are all made ineligible: a single run still apportions it seats.
    data = frame.copy()
    d = sorted(data["district"].astype(str).unique())[2]
    data["conduct"] = data["conduct"].astype(object)
    data.loc[data["district"] == d, "conduct"] = "Khá"
    options = {"seats": 60, "per": "district"}
    want = _reference(data, **options)
    got = kh.dask.select(dd.from_pandas(data, npartitions=3, sort=False), CRITERIA, RULES,
                         **options).compute()
    _same(got, want)


def test_fixed_quotas_and_outcomes(client: Any, frame: "pd.DataFrame") -> None:
    districts = sorted(frame["district"].astype(str).unique())
    fixed = {d: 3 + i for i, d in enumerate(districts)}
    options = {"per": "district", "fixed": fixed, "ties": "include"}
    single = kh.select(kh.from_pandas(frame), CRITERIA, RULES, **options)
    result, merged = kh.dask.select_merged(dd.from_pandas(frame, npartitions=5, sort=False),
                                           CRITERIA, RULES, **options)
    got = result.compute()
    merge = merged.compute()
    _same(got, single.table)
    pd.testing.assert_frame_equal(merge.outcomes.reset_index(drop=True),
                                  single.outcomes.reset_index(drop=True))
    assert merge.selected_count == single.selected_count


def test_to_parquet(client: Any, frame: "pd.DataFrame", tmp_path: Path) -> None:
    options = {"seats": 30, "per": "district"}
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    kh.dask.select(ddf, CRITERIA, RULES, **options).to_parquet(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out").sort_index()
    want = _reference(frame, **options)
    assert list(back["id"]) == list(want["id"])
    assert list(back["reason"]) == list(want["reason"])
    assert back["selected"].sum() == want["selected"].sum() == 30


def test_parquet_partitions_with_arrow_dtypes(client: Any, frame: "pd.DataFrame",
                                             tmp_path: Path) -> None:
    # One Parquet file per district, read with Arrow-backed dtypes (lists stay Arrow lists).
    pool = kh.from_pandas(frame)
    table = pa.table(pool)
    districts = sorted(frame["district"].astype(str).unique())
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    order = []
    for i, d in enumerate(districts):
        part = table.filter(pc.equal(table.column("district").cast(pa.string()), d))
        pq.write_table(part, tmp_path / f"d{i:02d}.parquet")
        order.extend(part.column("id").to_pylist())
    ddf = dd.read_parquet(sorted(str(p) for p in tmp_path.glob("d*.parquet")),
                          dtype_backend="pyarrow")
    options = {"seats": 40, "per": "district", "order": ["exam_score desc", "name:full_name"]}
    got = kh.dask.select(ddf, CRITERIA, RULES, **options).compute()
    want = kh.select(pool.take([pool.row_of(i) for i in order]), CRITERIA, RULES,
                     **options).table
    _same(got, want)


def test_a_worker_killed_mid_run_gives_the_same_answer(client: Any, frame: "pd.DataFrame") -> None:
    options = {"seats": 50, "per": "district", "order": "name:full_name"}
    frame = kh.generate_pool(12000, seed=5).to_pandas()  # long enough to be killed mid-run
    want = _reference(frame, **options)
    ddf = dd.from_pandas(frame, npartitions=8, sort=False)
    future = client.compute(kh.dask.select(ddf, CRITERIA, RULES, **options))
    # Kill one worker process once some task has started (Dask reruns what it held).
    for _ in range(400):
        if any(client.processing().values()) or future.done():
            break
        time.sleep(0.025)
    assert not future.done()
    pids = client.run(os.getpid)
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = future.result()
    _same(got, want)
    client.wait_for_workers(2, timeout=60)


def _ipc(table: "pa.Table") -> "pa.Table":
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


def _plain_run(shards: list["pd.DataFrame"], options: dict[str, Any],
               wrap: Any = lambda t: t) -> tuple[list["pa.Table"], Any, "pd.DataFrame"]:
    """The plain functions as a job runner calls them: summaries, merge (pickled, as it travels
    to the shards), the shards' rows at shared totals, their order, the finish."""
    import pickle

    pools = [kh.from_pandas(s) for s in shards]
    summaries = [wrap(kh.shard_summary(p, CRITERIA, RULES, shard=i, **options))
                 for i, p in enumerate(pools)]
    merged = pickle.loads(pickle.dumps(kh.merge_shards(summaries, **options)))
    tied = [wrap(kh.shard_ties(p, merged, CRITERIA, RULES, shard=i, **options))
            for i, p in enumerate(pools)]
    ordered = kh.resolve_ties(tied, **options)
    got = pd.concat([kh.finish_shard(p, merged, CRITERIA, RULES, shard=i, tie_order=wrap(ordered[i]),
                                     **options) for i, p in enumerate(pools)])
    return summaries, merged, got


def test_plain_functions_through_arrow_ipc(frame: "pd.DataFrame") -> None:
    options = {"seats": 45, "per": "district", "order": ["exam_score desc", "name:full_name"],
               "ties": "exclude"}
    shards = [frame.iloc[i::3] for i in range(3)]
    _, _, got = _plain_run(shards, options, _ipc)
    _same(got, _reference(pd.concat(shards), **options))


def test_summaries_are_trimmed_and_ranks_exact(frame: "pd.DataFrame") -> None:
    # Few seats: each shard keeps per group its best rows up to the seats plus the rows tied at
    # that bound, not its ranked rows; ranks (ties across shards included) still equal the
    # single run's, whatever the ranges the tied rows are ordered in.
    options = {"seats": 4, "per": "district", "order": ["exam_score desc"]}
    shards = [frame.iloc[i::2] for i in range(2)]
    summaries, merged, got = _plain_run(shards, options)
    want = _reference(pd.concat(shards), **options)
    _same(got, want)
    kept = sum(s.num_rows for s in summaries)
    ranked = int(want["rank"].notna().sum())
    assert kept * 5 < ranked * 3, (kept, ranked)
    for s in summaries:
        t = s.to_pandas()
        for group, rows in t.groupby("__khuyenhoc_group", observed=True):
            above = (rows["__khuyenhoc_score"] > rows["__khuyenhoc_score"].min()).sum()
            assert above < 4, group
    # Totals held by several rows, across shards: the ranks need the tie order.
    assert want.groupby("score")["rank"].count().max() > 1
    # Tie orders split over ranges of totals give the same ranks.
    edges = merged.tie_edges(3)
    assert len(edges) == 2 and edges[0] < edges[1]
    pools = [kh.from_pandas(s) for s in shards]
    tied = [kh.shard_ties(p, merged, CRITERIA, RULES, shard=i, **options)
            for i, p in enumerate(pools)]
    where = [np.searchsorted(edges, t.column("__khuyenhoc_score").to_numpy(), side="right")
             for t in tied]
    ordered = [kh.resolve_ties([t.filter(w == k) for t, w in zip(tied, where)], **options)
               for k in range(3)]
    got = pd.concat([kh.finish_shard(p, merged, CRITERIA, RULES, shard=i,
                                     tie_order=[o[i] for o in ordered], **options)
                     for i, p in enumerate(pools)])
    _same(got, want)
    with pytest.raises(kh.SpecError, match="resolve_ties"):
        kh.finish_shard(pools[0], merged, CRITERIA, RULES, shard=0, **options)
    with pytest.raises(TypeError, match="MergedShards"):
        kh.finish_shard(pools[0], merged.for_shard(0), CRITERIA, RULES, shard=0, **options)


def test_merge_refuses_mixed_summaries(frame: "pd.DataFrame") -> None:
    a = kh.shard_summary(kh.from_pandas(frame.iloc[:10]), CRITERIA, RULES, shard=0, seats=3,
                         per="district")
    with pytest.raises(kh.SpecError, match="repeats"):
        kh.merge_shards([a, a], seats=3, per="district")
    with pytest.raises(kh.SpecError, match="per="):
        kh.merge_shards([a], seats=3)
    with pytest.raises(kh.SpecError, match="not a shard summary"):
        kh.merge_shards([pa.table({"x": [1]})], seats=3)
    merged = kh.merge_shards([a], seats=3, per="district")
    with pytest.raises(kh.SpecError, match="does not count|kept rows|ranked nominees"):
        kh.finish_shard(kh.from_pandas(frame.iloc[:20]), merged, CRITERIA, RULES, shard=0,
                        seats=3, per="district")


def test_set_objects_travel_pickled(client: Any, frame: "pd.DataFrame") -> None:
    # CriteriaSet and Rules objects pickle as their text (parsed once per worker process), with
    # their parameters: the same answer as with the files' paths.
    ddf = dd.from_pandas(frame, npartitions=2, sort=False)
    crit = kh.CriteriaSet.from_file(CRITERIA)
    rules = kh.Rules.from_file(RULES)
    options = {"seats": 7, "per": "district", "order": "exam_score desc"}
    got = kh.dask.select(ddf, crit, rules, **options).compute()
    _same(got, _reference(frame, **options))
    scattered = client.scatter(crit, broadcast=True)
    assert client.submit(lambda c: c.name, scattered).result() == crit.name


@pytest.mark.parametrize("options", [
    {"seats": 5, "per": "district", "min_score": 1000.0},  # nobody ranked, groups known
    {"seats": 5, "min_score": 1000.0},  # nobody ranked, no groups
    {"seats": 5, "per": "district", "levels": [("A", 2), ("B", 3, 1000.0)]},
])
def test_plain_functions_when_few_or_none_are_ranked(frame: "pd.DataFrame",
                                                     options: dict[str, Any]) -> None:
    data = frame.iloc[:300]
    shards = [data.iloc[i::3] for i in range(3)] + [data.iloc[:0]]
    _, merged, got = _plain_run(shards, options)
    single = kh.select(kh.from_pandas(pd.concat(shards)), CRITERIA, RULES, **options)
    _same(got, single.table)
    pd.testing.assert_frame_equal(merged.outcomes, single.outcomes)
    assert merged.selected_count == single.selected_count
