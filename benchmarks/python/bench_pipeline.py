"""The whole job, side by side: `khuyenhoc select` against the same job in DuckDB and polars.

The reference job of issue 12: a generated province pool (CSV) scored with
examples/criteria/honour_pupils.yaml, checked with examples/rules/honour_pupils.yaml, 300 seats
apportioned over districts (largest remainder by nominees, the default), each district's
nominees ranked by total, then exam score (descending), then Vietnamese name order, then id;
the result written to CSV. Three programs do it, each in its own fresh child process so that its
wall time and peak RSS are its own (os.wait4), best of --repeat:

- khuyenhoc: the CLI (`khuyenhoc select ... --out R.csv --report R.html`), one row per nominee
  with the reasons, plus the HTML report; its read/run/write split comes from its summary line;
- DuckDB: one SQL query (read_csv -> the criteria score as SQL expressions -> the rules ->
  the quota table -> window rank -> QUALIFY -> COPY), in two variants: the selected nominees
  only, and one row per nominee (score, level, status, rank, group rank, selected, failed rules);
- polars: one lazy query (scan_csv -> expressions -> sort + over windows -> sink_csv), one row
  per nominee.

The peers' translations are written from the YAML files by hand, faithful to every indicator
(bands, linear, per-item kinds, caps, `missing:` policies, mandatory nodes, levels) and every rule
(three-valued logic: a missing value makes a rule unknown, and an unknown rule makes the nominee
not eligible, as `on_unknown: not_eligible`). Before anything is reported the script checks that
all of them select exactly the same nominees, and that the one-row-per-nominee peers agree with
khuyenhoc on every nominee's status, score, rank and group rank; any difference is printed and
the script exits with status 1.

Names: khuyenhoc orders `name:full_name` by ICU's `vi` collation of the name written given name
first ("Nguyễn Văn An" -> "An Nguyễn Văn"). DuckDB does the same with its built-in ICU extension
(`COLLATE vi`, statically linked in the pip wheel: works offline). polars has no collation: its
query sorts by a key built with `str.replace_many` (Vietnamese letters in alphabet order as the
primary level, tones as the secondary, case as the tertiary), which is the ICU `vi` order for
names written in Vietnamese letters and spaces; the check above verifies it on the data.

    python benchmarks/python/bench_pipeline.py [SIZE ...] [--data-dir DIR] [--repeat N]
        [--json out.json] [--work-dir DIR]

SIZE: 3000, 100k, 1M, 5M, 10M (default 1M 5M 10M). Pools are generated with
`khuyenhoc generate --size N --seed 2024` into --data-dir (kept across runs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CRITERIA = ROOT / "examples" / "criteria" / "honour_pupils.yaml"
RULES = ROOT / "examples" / "rules" / "honour_pupils.yaml"
SEATS = 300
SEED = 2024
# Cells khuyenhoc reads as missing (docs/pool.md); in a list column an empty cell is an empty
# list, these markers a missing list.
NA_MARKERS = ["NA", "N/A", "NaN", "null", "NULL"]

# --------------------------------------------------------------------------------------------
# The job in DuckDB SQL
# --------------------------------------------------------------------------------------------


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _sql_list(col: str) -> str:
    """A list cell as khuyenhoc reads it (the markers are NULL already): empty cell [], items
    split at '|' and trimmed."""
    return (
        f"CASE WHEN trim({col}) = '' THEN []::VARCHAR[] "
        f"ELSE list_transform(string_split({col}, '|'), lambda it: trim(it)) END AS {col}"
    )


def _sql_cell(col: str, type_: str = "VARCHAR") -> str:
    """A scalar cell: empty is missing (as the markers, NULL already), else converted strictly."""
    if type_ == "VARCHAR":
        return f"nullif({col}, '') AS {col}"
    return f"CAST(nullif({col}, '') AS {type_}) AS {col}"


# per_item kinds of giai_thuong, in the order written (the first matching prefix wins).
PRIZE_KINDS = [
    ("Quốc tế", 40),
    ("Khu vực", 35),
    ("Quốc gia - Giải Nhất", 30),
    ("Quốc gia - Giải Nhì", 26),
    ("Quốc gia - Giải Ba", 22),
    ("Quốc gia", 18),
    ("Tỉnh - Giải Nhất", 15),
    ("Tỉnh - Giải Nhì", 12),
    ("Tỉnh - Giải Ba", 9),
    ("Tỉnh", 6),
    ("Huyện - Giải Nhất", 4),
    ("Huyện", 2),
]
NATIONAL_UP = ["Quốc gia", "Khu vực", "Quốc tế"]  # rule diem_tb's exemption
DOSSIER = ["Tờ trình", "Biên bản họp bình xét", "Báo cáo thành tích"]
EPS = 1e-9  # levels' and mandatory thresholds' tolerance (docs/criteria.md)


def duckdb_query(pool: str, out: str, selected_only: bool) -> str:
    prize_case = (
        "CASE "
        + " ".join(f"WHEN starts_with(it, {_sql_str(p)}) THEN {v}" for p, v in PRIZE_KINDS)
        + " ELSE 0 END"
    )
    national = " OR ".join(f"starts_with(it, {_sql_str(p)})" for p in NATIONAL_UP)
    intl = "starts_with(it, 'Quốc tế') OR starts_with(it, 'Khu vực')"
    dossier = " AND ".join(f"list_contains(documents, {_sql_str(d)})" for d in DOSSIER)
    # name:full_name: given name first ("Nguyễn Văn An" -> "An Nguyễn Văn"), ICU vi; computed
    # in the ORDER BY, so only for the ranked nominees the windows sort
    name_key = r"regexp_replace(trim(full_name), '^(.*) ([^ ]*)$', '\2 \1')"
    order = f"total DESC, exam_score DESC NULLS LAST, {name_key} COLLATE vi NULLS LAST, id"
    # Every column as text with khuyenhoc's missing-value markers, so that an empty cell can be
    # an empty list in a list column and missing elsewhere (DuckDB's nullstr is per file).
    markers = ", ".join(_sql_str(m) for m in NA_MARKERS)
    read = (
        f"read_csv({_sql_str(pool)}, header = true, delim = ',', quote = '\"', "
        f"all_varchar = true, nullstr = [{markers}])"
    )
    q = f"""
WITH pool AS (
  SELECT id, {_sql_cell('full_name')}, {_sql_cell('district')}, {_sql_cell('conduct')},
         {_sql_cell('gpa', 'DOUBLE')}, {_sql_cell('exam_score', 'DOUBLE')},
         {_sql_cell('community_hours', 'BIGINT')}, {_sql_cell('submitted_on', 'DATE')},
         {_sql_list('prizes')}, {_sql_list('documents')}, {_sql_list('conduct_history')}
  FROM {read}
),
points AS (
  SELECT *,
    -- hoc_tap / diem_tb: bands, mandatory (pass 10), missing: fail
    CASE WHEN gpa >= 9.5 THEN 30 WHEN gpa >= 9.0 THEN 25 WHEN gpa >= 8.5 THEN 18
         WHEN gpa >= 8.0 THEN 10 ELSE 0 END AS p_diem_tb,
    -- hoc_tap / diem_thi_tn: linear 24..30 -> 0..10, missing: zero, 6 decimals
    CASE WHEN exam_score IS NULL THEN 0
         ELSE round(10 * least(greatest((exam_score - 24) / 6, 0), 1), 6) END AS p_diem_thi,
    -- thanh_tich / giai_thuong: per item, first matching prefix, cap 40, missing: fail
    least(40, coalesce(list_sum(list_transform(prizes, lambda it: {prize_case})), 0))
      AS p_giai,
    -- ren_luyen / hanh_kiem: map (other 0, missing: fail) + history per item "Tốt" cap 4
    CASE conduct WHEN 'Tốt' THEN 10 WHEN 'Khá' THEN 5 ELSE 0 END AS p_hanh_kiem,
    least(4, coalesce(len(list_filter(conduct_history, lambda it: starts_with(it, 'Tốt'))), 0))
      AS p_hk_lien_tuc,
    -- ren_luyen / cong_dong: bands, missing: zero
    CASE WHEN community_hours >= 60 THEN 6 WHEN community_hours >= 30 THEN 4
         WHEN community_hours >= 10 THEN 2 ELSE 0 END AS p_tinh_nguyen,
    gpa IS NULL OR prizes IS NULL OR conduct IS NULL AS unclassifiable,
    -- the rules (NULL = unknown; on_unknown: not_eligible)
    conduct = 'Tốt' AS r_hanh_kiem,
    gpa >= 8.0 OR len(list_filter(prizes, lambda it: {national})) > 0 AS r_diem_tb,
    {dossier} AS r_ho_so,
    submitted_on <= DATE '2024-09-30' AS r_han_nop,
    -- the warning rule and the two decision tables (hit policy first) of the rule set
    CASE WHEN len(prizes) > 0 THEN NOT list_contains(documents, 'Giấy chứng nhận giải') END
      AS warn_giay_chung_nhan,
    CASE WHEN prizes IS NULL THEN NULL
         WHEN len(list_filter(prizes, lambda it: {intl})) > 0 THEN 'Đặc biệt xuất sắc'
         WHEN len(list_filter(prizes, lambda it: starts_with(it, 'Quốc gia'))) > 0
           THEN 'Xuất sắc - giải quốc gia'
         WHEN gpa IS NULL THEN NULL
         WHEN gpa >= 9.0 THEN 'Xuất sắc - học lực'
         ELSE 'Tiêu biểu' END AS muc,
    CASE WHEN prizes IS NULL THEN NULL
         WHEN len(list_filter(prizes, lambda it: {intl})) > 0 THEN 5000000
         WHEN len(list_filter(prizes, lambda it: starts_with(it, 'Quốc gia'))) > 0 THEN 3000000
         WHEN gpa IS NULL THEN NULL
         WHEN gpa >= 9.0 THEN 2000000
         ELSE 1000000 END AS tien_thuong
  FROM pool
),
scored AS (
  SELECT * EXCLUDE (prizes, documents, conduct_history, conduct, gpa, community_hours,
                    submitted_on),
    least(100, round(least(40, round(p_diem_tb + p_diem_thi, 6)) + least(40, p_giai)
                     + least(20, p_hanh_kiem + p_hk_lien_tuc + p_tinh_nguyen), 6)) AS raw_total,
    p_diem_tb >= 10 - {EPS} AND p_hanh_kiem + p_hk_lien_tuc >= 10 - {EPS} AS mandatory_met,
    coalesce(r_hanh_kiem AND r_diem_tb AND r_ho_so AND r_han_nop, false) AS eligible
  FROM points
),
ranked AS (
  SELECT *,
    CASE WHEN unclassifiable THEN NULL ELSE raw_total END AS total,
    eligible AND NOT unclassifiable AS is_ranked
  FROM scored
),
counts AS (SELECT district, count(*) AS n FROM ranked GROUP BY district),
shares AS (
  SELECT district, n, ({SEATS} * n) // sum(n) OVER () AS base,
         ({SEATS} * n) % sum(n) OVER () AS remainder
  FROM counts
),
quota AS (
  -- largest remainder (Hamilton) by nominees; equal remainders: larger group, then the
  -- group name in Vietnamese order
  SELECT district,
         base + CASE WHEN row_number() OVER (ORDER BY remainder DESC, n DESC,
                                             district COLLATE vi)
                          <= {SEATS} - sum(base) OVER () THEN 1 ELSE 0 END AS quota
  FROM shares
)"""
    if selected_only:
        body = f"""
SELECT id, district, total AS score,
       row_number() OVER (PARTITION BY district ORDER BY {order}) AS group_rank
FROM ranked JOIN quota USING (district)
WHERE is_ranked
QUALIFY group_rank <= quota"""
    else:
        # Only ranked nominees are ordered (one sort with the collation key); the group rank
        # follows from the rank (an integer sort); everyone else is joined back unranked.
        q += f""",
ordered AS (
  SELECT id, row_number() OVER (ORDER BY {order}) AS rank FROM ranked WHERE is_ranked
)"""
        body = f"""
SELECT id, district, total AS score,
  CASE WHEN unclassifiable THEN NULL
       WHEN total >= 70 - {EPS} AND mandatory_met THEN 'Xuất sắc tiêu biểu'
       WHEN total >= 50 - {EPS} AND mandatory_met THEN 'Tốt'
       WHEN total >= 35 - {EPS} AND mandatory_met THEN 'Khá'
       ELSE 'Không đạt' END AS classification,
  rank,
  CASE WHEN is_ranked THEN row_number() OVER (PARTITION BY is_ranked, district ORDER BY rank)
    END AS group_rank,
  coalesce(is_ranked AND group_rank <= quota, false) AS selected,
  CASE WHEN NOT eligible THEN 'ineligible' WHEN unclassifiable THEN 'no_score'
       WHEN group_rank <= quota THEN 'selected' ELSE 'outside_quota' END AS status,
  concat_ws(';',
    CASE WHEN r_hanh_kiem IS NOT TRUE THEN 'hanh_kiem' END,
    CASE WHEN r_diem_tb IS NOT TRUE THEN 'diem_tb' END,
    CASE WHEN r_ho_so IS NOT TRUE THEN 'ho_so' END,
    CASE WHEN r_han_nop IS NOT TRUE THEN 'han_nop' END) AS failed_rules,
  warn_giay_chung_nhan, muc, tien_thuong
FROM ranked LEFT JOIN ordered USING (id) JOIN quota USING (district)"""
    return f"COPY ({q}{body}) TO {_sql_str(out)} (HEADER, DELIMITER ',')"


# --------------------------------------------------------------------------------------------
# The job in polars
# --------------------------------------------------------------------------------------------

# ICU `vi` (CLDR): a ă â b c d đ e ê ... o ô ơ ... u ư ...; tones are secondary differences in
# the order grave, hook, tilde, acute, dot below; lower case before upper case.
VI_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
VI_TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]


def vi_key_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Per character: its primary (letter), secondary (tone) and tertiary (case) weight."""
    primary: dict[str, str] = {}
    secondary: dict[str, str] = {}
    tertiary: dict[str, str] = {}
    for i, letter in enumerate(VI_ALPHABET):
        for t, tone in enumerate(VI_TONES):
            if t and letter not in "aăâeêioôơuưy":
                continue
            for upper in (False, True):
                base = letter.upper() if upper else letter
                ch = unicodedata.normalize("NFC", base + tone)
                if len(ch) != 1:
                    continue
                primary[ch] = chr(0x41 + i)
                secondary[ch] = str(t)
                tertiary[ch] = "1" if upper else "0"
    return primary, secondary, tertiary


def vi_key_expr(e: Any) -> Any:
    """A polars expression: a string whose byte order is the ICU `vi` order of the text in e
    (primary, secondary and tertiary levels one after the other, separated by \\x01)."""
    import polars as pl

    primary, secondary, tertiary = vi_key_tables()
    # A space keeps its own (lowest) primary weight, and common secondary/tertiary weights.
    return pl.concat_str(
        [
            e.str.replace_many(primary),
            e.str.replace_many({**secondary, " ": "0"}),
            e.str.replace_many({**tertiary, " ": "0"}),
        ],
        separator="\x01",
    )


def polars_job(pool: str, out: str) -> None:
    import polars as pl

    vi_key = vi_key_expr

    def as_list(name: str) -> pl.Expr:
        c = pl.col(name)
        return (
            pl.when(c.is_in(NA_MARKERS))
            .then(None)
            .when(c.str.strip_chars(" ") == "")
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(c.str.split("|").list.eval(pl.element().str.strip_chars(" ")))
            .alias(name)
        )

    def blank_is_missing(name: str) -> pl.Expr:
        c = pl.col(name)
        return pl.when(c == "").then(None).otherwise(c).alias(name)

    schema = {
        "id": pl.String, "full_name": pl.String, "district": pl.String, "conduct": pl.String,
        "gpa": pl.Float64, "exam_score": pl.Float64, "community_hours": pl.Int64,
        "prizes": pl.String, "documents": pl.String, "conduct_history": pl.String,
    }
    # Empty text cells stay "" (an empty list, or missing for scalars: blank_is_missing); the
    # option was renamed in polars 2.
    import inspect

    keep_empty: dict[str, Any] = (
        {"empty_string_is_null": False}
        if "empty_string_is_null" in inspect.signature(pl.scan_csv).parameters
        else {"missing_utf8_is_empty_string": True}
    )
    lf = pl.scan_csv(pool, schema_overrides=schema, try_parse_dates=False, **keep_empty).select(
        "id", blank_is_missing("full_name"), blank_is_missing("district"),
        blank_is_missing("conduct"), "gpa", "exam_score", "community_hours",
        blank_is_missing("submitted_on").str.to_date("%Y-%m-%d", strict=True),
        as_list("prizes"), as_list("documents"), as_list("conduct_history"),
    )
    gpa, exam, hours = pl.col("gpa"), pl.col("exam_score"), pl.col("community_hours")
    prize_points = pl.lit(0)
    for prefix, value in reversed(PRIZE_KINDS):
        prize_points = (
            pl.when(pl.element().str.starts_with(prefix)).then(value).otherwise(prize_points)
        )
    national = pl.any_horizontal([pl.element().str.starts_with(p) for p in NATIONAL_UP])
    docs = pl.col("documents")
    p_diem_tb = (
        pl.when(gpa >= 9.5).then(30).when(gpa >= 9.0).then(25).when(gpa >= 8.5).then(18)
        .when(gpa >= 8.0).then(10).otherwise(0)
    )
    p_diem_thi = (10 * ((exam - 24) / 6).clip(0, 1)).round(6).fill_null(0)
    p_giai = pl.col("prizes").list.eval(prize_points).list.sum().fill_null(0).clip(upper_bound=40)
    p_hk = pl.col("conduct").replace_strict({"Tốt": 10, "Khá": 5}, default=0)
    p_hk_lt = (
        pl.col("conduct_history").list.eval(pl.element().str.starts_with("Tốt")).list.sum()
        .fill_null(0).clip(upper_bound=4)
    )
    p_tn = (
        pl.when(hours >= 60).then(6).when(hours >= 30).then(4).when(hours >= 10).then(2)
        .otherwise(0)
    )
    hoc_tap = (p_diem_tb + p_diem_thi).round(6).clip(upper_bound=40)
    hanh_kiem = (p_hk + p_hk_lt).alias("hanh_kiem")
    unclassifiable = gpa.is_null() | pl.col("prizes").is_null() | pl.col("conduct").is_null()
    rules = (
        (pl.col("conduct") == "Tốt")
        & ((gpa >= 8.0) | pl.col("prizes").list.eval(national).list.any())
        & docs.list.contains("Tờ trình")
        & docs.list.contains("Biên bản họp bình xét")
        & docs.list.contains("Báo cáo thành tích")
        & (pl.col("submitted_on") <= pl.date(2024, 9, 30))
    ).fill_null(False)
    scored = lf.with_columns(
        total=pl.when(unclassifiable).then(None).otherwise(
            (hoc_tap + p_giai + (hanh_kiem + p_tn).clip(upper_bound=20))
            .round(6).clip(upper_bound=100)
        ),
        mandatory_met=(p_diem_tb >= 10 - EPS) & (hanh_kiem >= 10 - EPS),
        eligible=rules,
        unclassifiable=unclassifiable,
    ).with_columns(is_ranked=pl.col("eligible") & ~pl.col("unclassifiable")).with_row_index("row")

    counts = lf.group_by("district").agg(n=pl.len())
    total_n = pl.col("n").sum()
    quota = (
        counts.with_columns(
            base=(SEATS * pl.col("n")) // total_n,
            remainder=(SEATS * pl.col("n")) % total_n,
            district_key=vi_key(pl.col("district")),
        )
        .sort(["remainder", "n", "district_key"], descending=[True, True, False])
        .with_columns(
            quota=pl.col("base")
            + (pl.int_range(pl.len()) < SEATS - pl.col("base").sum()).cast(pl.Int64)
        )
        .select("district", "quota")
    )
    # Only the ranked nominees are sorted, and only their names get a collation key; the ranks
    # are joined back by row number (everyone else has none), keeping the input order.
    ranks = (
        scored.filter("is_ranked")
        .select("row", "district", "total", "exam_score", "id",
                name_key=vi_key(pl.col("full_name").str.strip_chars(" ")
                                .str.replace(r"^(.*) ([^ ]*)$", "$2 $1")))
        .sort(["total", "exam_score", "name_key", "id"],
              descending=[True, True, False, False], nulls_last=True)
        .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        .with_columns(group_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("district"))
        .select("row", "rank", "group_rank")
    )
    total = pl.col("total")
    result = (
        scored.join(ranks, on="row", how="left", maintain_order="left")
        .join(quota, on="district", how="left", maintain_order="left")
        .with_columns(selected=(pl.col("is_ranked") & (pl.col("group_rank") <= pl.col("quota"))))
        .select(
            "id", "district", pl.col("total").alias("score"),
            pl.when(pl.col("unclassifiable")).then(None)
            .when((total >= 70 - EPS) & pl.col("mandatory_met"))
            .then(pl.lit("Xuất sắc tiêu biểu"))
            .when((total >= 50 - EPS) & pl.col("mandatory_met")).then(pl.lit("Tốt"))
            .when((total >= 35 - EPS) & pl.col("mandatory_met")).then(pl.lit("Khá"))
            .otherwise(pl.lit("Không đạt")).alias("classification"),
            "rank", "group_rank", "selected",
            pl.when(~pl.col("eligible")).then(pl.lit("ineligible"))
            .when(pl.col("unclassifiable")).then(pl.lit("no_score"))
            .when(pl.col("selected")).then(pl.lit("selected"))
            .otherwise(pl.lit("outside_quota")).alias("status"),
        )
    )
    result.sink_csv(out)


# --------------------------------------------------------------------------------------------
# Running each job in its own process
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    rss_kb: int
    phases: dict[str, float] = field(default_factory=dict)
    inner: float | None = None  # the job's own time inside a Python worker (no start-up)


# Each job is started by a small launcher process, not by this one: on Linux a child's
# ru_maxrss keeps the high-water mark of the memory it was forked (or vforked) from, so a job
# spawned straight from this process would report this process's peak (gigabytes once DuckDB
# has compared 5M-row results) whenever its own peak is lower.
_LAUNCHER = r"""
import json, os, sys, time
fd, cmd = int(sys.argv[1]), sys.argv[2:]
t0 = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
os.write(fd, json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                         os.waitstatus_to_exitcode(status)]).encode())
"""


def run_child(cmd: list[str], cwd: Path | None = None) -> tuple[Run, str]:
    """Runs cmd in a fresh process; wall time, CPU time and peak RSS are the child's alone."""
    import threading

    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, str(write_fd), *cmd], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=(write_fd,),
        )
    finally:
        os.close(write_fd)
    out_chunks: list[str] = []
    err_chunks: list[str] = []

    def drain(stream: Any, into: list[str]) -> None:
        into.append(stream.read())

    threads = [
        threading.Thread(target=drain, args=(proc.stdout, out_chunks)),
        threading.Thread(target=drain, args=(proc.stderr, err_chunks)),
    ]
    for t in threads:
        t.start()
    with os.fdopen(read_fd, "rb") as report:
        measured = report.read()
    launcher_status = proc.wait()
    for t in threads:
        t.join()
    stdout, stderr = "".join(out_chunks), "".join(err_chunks)
    if launcher_status != 0 or not measured:
        raise RuntimeError(f"launching {' '.join(cmd)} failed ({launcher_status}):\n{stderr}")
    wall, cpu, rss_kb, returncode = json.loads(measured)
    if returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with status {returncode}:\n{stderr}{stdout}")
    return Run(wall, cpu, rss_kb), stdout + stderr


def warm_page_cache(path: Path) -> None:
    """Reads `path` once, so that its pages are in the page cache for the programs timed next."""
    with open(path, "rb", buffering=0) as f:
        while f.read(8 << 20):
            pass


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


PHASE_RE = re.compile(r"read ([0-9.eE+-]+) s, run ([0-9.eE+-]+) s, write ([0-9.eE+-]+) s")


def khuyenhoc_cmd(cli: str, pool: Path, out: Path, report: Path) -> list[str]:
    return [
        cli, "select", "--pool", str(pool), "--criteria", str(CRITERIA), "--rules", str(RULES),
        "--seats", str(SEATS), "--per", "district", "--order", "exam_score desc",
        "--order", "name:full_name", "--out", str(out), "--report", str(report), "--no-progress",
    ]


def worker_cmd(kind: str, pool: Path, out: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(pool), str(out)]


def worker(kind: str, pool: str, out: str) -> None:
    t0 = time.perf_counter()
    if kind in ("duckdb-selected", "duckdb-full"):
        import duckdb

        con = duckdb.connect()
        con.execute(duckdb_query(pool, out, selected_only=kind == "duckdb-selected"))
    elif kind == "polars":
        polars_job(pool, out)
    else:
        raise SystemExit(f"unknown worker {kind}")
    print(f"inner {time.perf_counter() - t0:.6f}")


# --------------------------------------------------------------------------------------------
# The check: same nominees selected, same statuses, scores and ranks
# --------------------------------------------------------------------------------------------


def compare(kh_out: Path, peers: dict[str, Path]) -> list[str]:
    """Differences between khuyenhoc's result and each peer's (empty: they agree).

    The files are joined by DuckDB, out of core: at 10M nominees three result files held as
    Python dicts would need tens of GB."""
    import duckdb

    con = duckdb.connect()

    def rel(path: Path) -> str:
        return f"read_csv({_sql_str(str(path))}, header = true, all_varchar = true)"

    def num(col: str) -> str:
        return f"try_cast(replace(nullif(nullif({col}, ''), 'NA'), ',', '.') AS DOUBLE)"

    flag = "lower(coalesce({}, '')) IN ('true', '1')"
    con.sql(f"CREATE TEMP TABLE kh AS SELECT * FROM {rel(kh_out)}")
    kh_selected = {r[0] for r in con.sql(f"SELECT id FROM kh WHERE {flag.format('selected')}").fetchall()}
    kh_rows = con.sql("SELECT count(*) FROM kh").fetchall()[0][0]
    problems: list[str] = []
    for name, path in peers.items():
        con.sql(f"CREATE OR REPLACE TEMP TABLE p AS SELECT * FROM {rel(path)}")
        full = "status" in con.sql("SELECT * FROM p LIMIT 0").columns
        where = flag.format("selected") if full else "true"
        selected = {r[0] for r in con.sql(f"SELECT id FROM p WHERE {where}").fetchall()}
        if selected != kh_selected:
            missing, extra = sorted(kh_selected - selected), sorted(selected - kh_selected)
            problems.append(
                f"{name}: selects {len(selected)} nominees, khuyenhoc {len(kh_selected)}; "
                f"only khuyenhoc: {missing[:20]}; only {name}: {extra[:20]}"
            )
        if not full:
            continue
        rows = con.sql("SELECT count(*) FROM p").fetchall()[0][0]
        unmatched = con.sql(
            "SELECT count(*) FROM kh FULL OUTER JOIN p USING (id) WHERE kh.id IS NULL OR p.id IS NULL"
        ).fetchall()[0][0]
        if rows != kh_rows or unmatched:
            problems.append(f"{name}: {rows} rows, khuyenhoc {kh_rows}; {unmatched} ids in one only")
            continue
        bad = con.sql(
            f"""SELECT kh.id, kh.status, kh.score, kh.rank, kh.group_rank, kh.classification,
                       p.status, p.score, p.rank, p.group_rank, p.classification
                FROM kh JOIN p USING (id)
                WHERE NOT (kh.status = p.status
                   AND ({num('kh.score')} IS NULL) = ({num('p.score')} IS NULL)
                   AND coalesce(abs({num('kh.score')} - {num('p.score')}) <= 1e-9, true)
                   AND {num('kh.rank')} IS NOT DISTINCT FROM {num('p.rank')}
                   AND {num('kh.group_rank')} IS NOT DISTINCT FROM {num('p.group_rank')}
                   AND coalesce(kh.classification, '') = coalesce(p.classification, ''))
                ORDER BY kh.id"""
        ).fetchall()
        if bad:
            lines = [
                f"  {r[0]}: khuyenhoc status={r[1]} score={r[2]} rank={r[3]} group_rank={r[4]} "
                f"level={r[5]} | {name} status={r[6]} score={r[7]} rank={r[8]} "
                f"group_rank={r[9]} level={r[10]}"
                for r in bad[:20]
            ]
            problems.append(f"{name}: {len(bad)} nominees differ:\n" + "\n".join(lines))
    return problems


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.replace("_", ""))
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 3000, 100k, 1M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def machine_info() -> dict[str, Any]:
    import duckdb
    import polars

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "load_average_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2], argv[3])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("sizes", nargs="*", type=parse_size, default=[1_000_000, 5_000_000, 10_000_000])
    ap.add_argument("--data-dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "khuyenhoc-bench",
                    help="where generated pools are kept (reused by later runs)")
    ap.add_argument("--work-dir", type=Path, default=None,
                    help="where the outputs go (default: a temporary directory, removed)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--khuyenhoc", default=shutil.which("khuyenhoc"),
                    help="the CLI to run (default: khuyenhoc on PATH)")
    args = ap.parse_args(argv)
    if not args.khuyenhoc:
        ap.error("no khuyenhoc command on PATH; give --khuyenhoc")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; "
        f"python {info['python']}, duckdb {info['duckdb']}, polars {info['polars']}; "
        f"load average {' '.join(f'{x:.2f}' for x in info['load_average_start'])}",
        flush=True,
    )
    work_ctx = tempfile.TemporaryDirectory() if args.work_dir is None else None
    work = Path(work_ctx.name) if work_ctx else args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    failed = False
    try:
        for n in args.sizes:
            pool = args.data_dir / f"pool_{n}_seed{SEED}.csv"
            if not pool.exists():
                tmp = pool.with_suffix(".part.csv")
                subprocess.run([args.khuyenhoc, "generate", "--size", str(n), "--seed",
                                str(SEED), "-o", str(tmp)], check=True, stdout=subprocess.DEVNULL)
                tmp.replace(pool)
            csv_bytes = pool.stat().st_size
            outs = {
                "khuyenhoc": work / f"kh_{n}.csv",
                "duckdb-selected": work / f"duckdb_selected_{n}.csv",
                "duckdb-full": work / f"duckdb_full_{n}.csv",
                "polars": work / f"polars_{n}.csv",
            }
            runs: dict[str, list[Run]] = {k: [] for k in outs}
            # Every program reads the pool from the page cache: the first to run after a long
            # pause (the kernel may have dropped the file's pages meanwhile) would else also pay
            # for the disk, and khuyenhoc runs first.
            warm_page_cache(pool)
            for _ in range(args.repeat):
                # Interleaved, so that a change of load hits every program alike.
                r, text = run_child(khuyenhoc_cmd(args.khuyenhoc, pool, outs["khuyenhoc"],
                                                  work / f"kh_{n}.html"))
                m = PHASE_RE.search(text)
                if m:
                    r.phases = dict(zip(("read", "run", "write"), map(float, m.groups())))
                runs["khuyenhoc"].append(r)
                for kind in ("duckdb-selected", "duckdb-full", "polars"):
                    r, text = run_child(worker_cmd(kind, pool, outs[kind]))
                    m2 = re.search(r"inner ([0-9.]+)", text)
                    r.inner = float(m2.group(1)) if m2 else None
                    runs[kind].append(r)
            peers = {k: v for k, v in outs.items() if k != "khuyenhoc"}
            problems = compare(outs["khuyenhoc"], peers)
            if problems:
                failed = True
                print(f"\nMISMATCH at {n:,} nominees: the programs do not select the same "
                      "nominees / agree on every nominee:", file=sys.stderr)
                for p in problems:
                    print(p, file=sys.stderr)
            entry = {"nominees": n, "csv_bytes": csv_bytes, "same_selection": not problems}
            for k, rs in runs.items():
                b = best(rs)
                entry[k] = {"wall_s": b.wall, "cpu_s": b.cpu, "peak_rss_bytes": b.rss_kb * 1024,
                            "phases_s": b.phases, "inner_s": b.inner,
                            "walls_s": [x.wall for x in rs]}
            results.append(entry)
            print(f"{n:,} nominees done (load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})", flush=True)
    finally:
        if work_ctx:
            work_ctx.cleanup()
    info["load_average_end"] = os.getloadavg()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in info['load_average_end'])}")
    print()
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=2))
    if failed:
        print("FAILED: the peers do not agree with khuyenhoc (see above)", file=sys.stderr)
        return 1
    return 0


def markdown(results: list[dict[str, Any]]) -> str:
    def gb(b: int) -> str:
        return f"{b / 1e9:.2f} GB" if b >= 1e8 else f"{b / 1e6:.0f} MB"

    lines = [
        "| nominees | khuyenhoc wall (read / run / write) | cpu | peak RSS | bytes/nominee "
        "| DuckDB selected only | DuckDB one row per nominee | polars "
        "| wall ÷ DuckDB selected / full / polars | peak RSS ÷ DuckDB full / polars "
        "| same nominees |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in results:
        kh, ds, df, pl_ = e["khuyenhoc"], e["duckdb-selected"], e["duckdb-full"], e["polars"]
        ph = kh["phases_s"]
        split = (f" ({ph['read']:.2f} / {ph['run']:.2f} / {ph['write']:.2f})" if ph else "")

        def peer(x: dict[str, Any]) -> str:
            inner = f" (query {x['inner_s']:.2f} s)" if x.get("inner_s") is not None else ""
            return f"{x['wall_s']:.2f} s{inner}, cpu {x['cpu_s']:.2f} s, {gb(x['peak_rss_bytes'])}"

        lines.append(
            f"| {e['nominees']:,} | {kh['wall_s']:.2f} s{split} | {kh['cpu_s']:.2f} s "
            f"| {gb(kh['peak_rss_bytes'])} | {kh['peak_rss_bytes'] / e['nominees']:.0f} "
            f"| {peer(ds)} | {peer(df)} | {peer(pl_)} "
            f"| {kh['wall_s'] / ds['wall_s']:.2f} / {kh['wall_s'] / df['wall_s']:.2f} / "
            f"{kh['wall_s'] / pl_['wall_s']:.2f} "
            f"| {kh['peak_rss_bytes'] / df['peak_rss_bytes']:.2f} / "
            f"{kh['peak_rss_bytes'] / pl_['peak_rss_bytes']:.2f} "
            f"| {'yes' if e['same_selection'] else 'NO'} |"
        )
    lines.append("")
    lines.append(
        "Wall and peak RSS of a fresh process each (best of the repeats by wall); the peers' "
        "times include starting Python and importing the library (query: the query alone, "
        "measured inside the process). bytes/nominee: khuyenhoc's peak RSS per nominee; the CSV "
        f"is about {results[0]['csv_bytes'] / results[0]['nominees']:.0f} bytes a row."
        if results else ""
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
