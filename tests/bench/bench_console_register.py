"""Benchmark: a page of the console's register over a million visits (issue 14), against the
same page asked of the database by one hand-written SQL statement over the same tables.

Run: python tests/bench/bench_console_register.py [--visits 1000000] [--postgresql] [--keep PATH]
(default: a SQLite file in a temporary directory; --keep PATH: a SQLite file kept and reused
across runs; --postgresql: a throw-away durable cluster from the installed PostgreSQL, or the
server KIOSK_TEST_PG_URL names). The visits are
written by bulk SQL (tests/console_data.py: 20,000 distinct names with 张三 among them, 20
companies, 200 hosts, two sites, 90 days), then each search is timed as the console runs it
(sync.server.console.register.search: the freshness check, the filter's count, the page and
its rows) and as the bare statement; it prints the median and the slowest of R runs (the bare
statement: 3) and the ratio of the medians. Nothing here asserts (pytest does not collect this file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

from sync.server.console import register  # noqa: E402
from sync.server.console.register import Search  # noqa: E402
from sync.server.db import Database  # noqa: E402
from tests.bench.stats import timings  # noqa: E402
from tests.console_data import generate  # noqa: E402
from tests.server_fixtures import PG_ENV, PgCluster, drop_pg_database, new_pg_database  # noqa: E402

NOW_MS = 1_790_000_000_000
PAST = "\U0010ffff"
BARE_RUNS = 3  # the bare statement walks a million rows for some searches: seconds each
_COLUMNS = "v.site, v.visit_id, v.state, v.name, v.company, v.host_name, v.host_department, v.signed_in_at, v.signed_out_at"
_ORDER = "ORDER BY r.at DESC, r.site DESC, r.visit_id DESC LIMIT 51"


def _bare_name(prefix: str) -> tuple[str, dict]:
    return (f"SELECT {_COLUMNS} FROM register r JOIN visits v ON v.site = r.site AND v.visit_id = r.visit_id "
            "WHERE EXISTS (SELECT 1 FROM register_terms t WHERE t.site = r.site AND t.visit_id = r.visit_id "
            f"AND t.field = 'n' AND t.term >= :lo AND t.term < :hi) {_ORDER}", {"lo": prefix, "hi": prefix + PAST})


def _bare_word(column: str, field: str, prefix: str) -> tuple[str, dict]:
    return (f"SELECT {_COLUMNS} FROM register r JOIN visits v ON v.site = r.site AND v.visit_id = r.visit_id "
            f"WHERE r.{column} IN (SELECT value FROM register_words w WHERE w.field = '{field}' "
            f"AND w.term >= :lo AND w.term < :hi) {_ORDER}", {"lo": prefix, "hi": prefix + PAST})


def cases(week_ago: int) -> list[tuple[str, Search, tuple[str, dict]]]:
    newest = (f"SELECT {_COLUMNS} FROM register r JOIN visits v ON v.site = r.site AND v.visit_id = r.visit_id {_ORDER}", {})
    week = (f"SELECT {_COLUMNS} FROM register r JOIN visits v ON v.site = r.site AND v.visit_id = r.visit_id "
            f"WHERE r.site = 'hq' AND r.at >= :since {_ORDER}", {"since": week_ago})
    return [
        ("newest, all sites", Search(), newest),
        ("name zs", Search(name="zs"), _bare_name("zs")),
        ("name 张三", Search(name="张三"), _bare_name("张三")),
        ("name z (broad)", Search(name="z"), _bare_name("z")),
        ("name zhang", Search(name="zhang"), _bare_name("zhang")),
        ("company hw", Search(company="hw"), _bare_word("company", "c", "hw")),
        ("host l (broad)", Search(host="l"), _bare_word("host", "h", "l")),
        ("site hq, last 7 days", Search(site="hq", since_ms=week_ago), week),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--keep", help="a SQLite file to keep and reuse")
    args = parser.parse_args()
    if args.postgresql:
        with postgresql() as url:
            measure(url, True, args)
        return
    with tempfile.TemporaryDirectory() as scratch:
        url = args.keep or os.path.join(scratch, "bench.sqlite3")
        measure(url, not (args.keep and os.path.exists(args.keep)), args)


def measure(url: str, fresh: bool, args: argparse.Namespace) -> None:
    db = Database(url)
    if fresh:
        start = time.perf_counter()
        generate(db, args.visits, now_ms=NOW_MS, alone=True)
        print(f"{args.visits:,} visits written by bulk SQL in {time.perf_counter() - start:.0f} s ({db.kind})")
    run(db, args.runs)
    db.close()


@contextmanager
def postgresql() -> Iterator[str]:
    cluster = None
    if os.environ.get(PG_ENV):
        server = os.environ[PG_ENV]
    else:
        cluster = PgCluster(PgCluster.find_bin(), durable=True)
        cluster.start()
        server = cluster.url
    url = new_pg_database(server)
    try:
        yield url
    finally:
        drop_pg_database(server, url)
        if cluster:
            cluster.stop()


def run(db: Database, runs: int) -> None:
    print(f"{'search':24}{'console ms':>11}{'max':>8}{'bare SQL ms':>12}{'max':>8}{'ratio':>7}  rows")
    for label, query, (sql, params) in cases(NOW_MS - 8 * 86_400_000):
        page = register.search(db, None, query)
        ours = timings(lambda: register.search(db, None, query), runs)

        def bare() -> list:
            with db.read() as conn:
                return conn.exec_driver_sql(*_driver(db, sql, params)).all()

        theirs = timings(bare, min(runs, BARE_RUNS))
        assert [r[1] for r in bare()[:len(page.rows)]] == [r["visit_id"] for r in page.rows], label
        mine, plain = statistics.median(ours), statistics.median(theirs)
        print(f"{label:24}{mine:11.1f}{ours[-1]:8.1f}{plain:12.1f}{theirs[-1]:8.1f}{mine / plain:7.2f}  {len(page.rows)}")
    # A page deep in a broad search costs what the first does (keyset, not OFFSET).
    after = None
    for _ in range(20):
        after = register.search(db, None, Search(name="zhang"), after).next
    deep = timings(lambda: register.search(db, None, Search(name="zhang"), after), runs)
    print(f"{'name zhang, page 21':24}{statistics.median(deep):11.1f}{deep[-1]:8.1f}")


def _driver(db: Database, sql: str, params: dict) -> tuple[str, dict]:
    """The statement in the driver's own parameter style (exec_driver_sql: nothing added by SQLAlchemy)."""
    style = "%({})s" if db.kind == "postgresql" else ":{}"
    for name in params:
        sql = sql.replace(f":{name}", style.format(name))
    return sql, params


if __name__ == "__main__":
    main()
