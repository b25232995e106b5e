"""Many visits at once for the console's tests and benchmark, written with bulk SQL straight into
the tables the Projector keeps (visits, and the register search index beside them), on SQLite or
PostgreSQL: a million visits in a minute or two, where pushing their events would take an hour.

The rows are what the projector would write for visits of that shape (tests/test_console_register
checks a generated visit against one folded from real events); they have no events, so a
generated visit's history is empty. Names come from bench_host_search's directory maker (common
surnames, weighted), with 张三 among them; visits spread over ``days`` days before ``now_ms``,
more of them in the late morning and early afternoon.
"""

from __future__ import annotations

import json
import random
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event

from kiosk.core.hosts import name_keys
from sync.server.console.search_index import joined_keys, word_rows
from sync.server.db import Database, register_words
from tests.bench.bench_host_search import make_hosts

NEEDLE = "张三"
COMPANIES = ["华为技术有限公司", "腾讯科技", "阿里巴巴", "小米科技", "京东物流", "百度在线", "字节跳动",
             "中国移动", "国家电网", "顺丰速运", "美团", "网易", "Acme Ltd", "Globex GmbH", "Initech",
             "上海示例贸易有限公司", "北京某某咨询", "深圳市创新电子", "杭州云数据", "成都软件园"]
TYPES = ["guest", "contractor", "interview", "delivery"]
POOL = 20_000  # distinct visitor names
HOSTS = 200
MINUTE = 60_000
DAY = 86_400_000


def _j(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _staging(conn: sa.Connection, visits: int, seed: int) -> None:
    rng = random.Random(seed)
    names = [NEEDLE] + [h.name for h in make_hosts(min(visits, POOL) - 1 or 1, rng)]
    hosts = make_hosts(HOSTS, rng)
    conn.execute(sa.text("CREATE TABLE gen_pool (pid INTEGER PRIMARY KEY, name TEXT, name_j TEXT, keys TEXT)"))
    conn.execute(sa.text("CREATE TABLE gen_keys (pid INTEGER, term TEXT)"))
    conn.execute(sa.text("CREATE TABLE gen_company (cid INTEGER PRIMARY KEY, company TEXT, company_j TEXT)"))
    conn.execute(sa.text("CREATE TABLE gen_host (hid INTEGER PRIMARY KEY, name TEXT, name_j TEXT, "
                         "department TEXT, department_j TEXT)"))
    conn.execute(sa.text("INSERT INTO gen_pool VALUES (:pid, :name, :name_j, :keys)"),
                 [{"pid": i, "name": n, "name_j": _j(n), "keys": joined_keys(name_keys(n))} for i, n in enumerate(names)])
    conn.execute(sa.text("INSERT INTO gen_keys VALUES (:pid, :term)"),
                 [{"pid": i, "term": k} for i, n in enumerate(names) for k in name_keys(n)])
    conn.execute(sa.text("INSERT INTO gen_company VALUES (:cid, :company, :company_j)"),
                 [{"cid": i, "company": c, "company_j": _j(c)} for i, c in enumerate(COMPANIES)])
    conn.execute(sa.text("INSERT INTO gen_host VALUES (:hid, :name, :name_j, :department, :department_j)"),
                 [{"hid": i, "name": h.name, "name_j": _j(h.name), "department": h.department,
                   "department_j": _j(h.department)} for i, h in enumerate(hosts)])
    words = word_rows([{"company": c, "host": ""} for c in COMPANIES] + [{"company": "", "host": h.name} for h in hosts])
    conn.execute(sa.dialects.sqlite.insert(register_words).on_conflict_do_nothing() if conn.dialect.name == "sqlite"
                 else sa.dialects.postgresql.insert(register_words).on_conflict_do_nothing(), words)


def _gen_sql(kind: str, visits: int, days: int, sites: list[str], now_ms: int) -> str:
    """One row per visit i: its site, id, pool entries and times (SQL both databases run)."""
    numbers = (f"SELECT generate_series(0, {visits - 1})::bigint AS i" if kind == "postgresql" else
               f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {visits - 1}) SELECT i FROM n")
    visit_id = "'G' || lpad(i::text, 15, '0')" if kind == "postgresql" else "printf('G%015d', i)"
    site = "CASE " + " ".join(f"WHEN i % {len(sites)} = {n} THEN '{s}'" for n, s in enumerate(sites)) + " END"
    # Days back from today's midnight (UTC), then a minute of the day: 08:00 + a skewed spread.
    today = now_ms - now_ms % DAY
    minute = "(480 + ((i * 7919) % 300) + ((i * 104729) % 331))"
    return (f"SELECT i, {site} AS site, {visit_id} AS visit_id, "
            f"{today} - ((i % {days}) * {DAY}) - {DAY} + {minute} * {MINUTE} AS at, "
            f"i % {min(visits, POOL)} AS pid, i % {len(COMPANIES)} AS cid, i % {HOSTS} AS hid, "
            f"(10 + (i * 31) % 230) * {MINUTE} AS stay, "
            f"CASE WHEN i % 3 = 0 THEN 1 + (i / 3) % 5 END AS rating FROM ({numbers}) AS numbers")


def _doc(kind: str, visitor_type: str) -> str:
    """SQL for the visit's JSON document (kiosk.store.log.visit_from_json reads it)."""
    text = "::text" if kind == "postgresql" else ""
    phone = "lpad((g.i % 10000)::text, 4, '0')" if kind == "postgresql" else "printf('%04d', g.i % 10000)"
    pieces = ["'{\"visit_id\":\"'", "g.visit_id", "'\",\"state\":\"signed_out\",\"site\":\"'", "g.site",
              "'\",\"visitor\":{\"name\":'", "p.name_j", "',\"company\":'", "c.company_j",
              "',\"phone\":\"1380013'", phone, "'\"},\"host\":{\"name\":'", "h.name_j",
              "',\"department\":'", "h.department_j", "'},\"signed_in_at\":'", f"g.at{text}",
              "',\"signed_out_at\":'", f"(g.at + g.stay){text}", "',\"badges\":[],\"visitor_type\":\"'",
              visitor_type, "'\",\"rating\":'", f"coalesce(g.rating{text}, 'null')", "'}'"]
    return "(" + " || ".join(pieces) + ")"


@contextmanager
def _writer(db: Database, alone: bool) -> Iterator[sa.Connection]:
    """The transaction that writes the visits. ``alone`` (nobody else has the SQLite file open,
    as in a benchmark): without the rollback journal and its fsyncs, in a large page cache, which
    takes a million visits from a quarter of an hour to minutes; the server's own connections
    make it WAL and durable again when they next open it."""
    if not (alone and db.kind == "sqlite"):
        with db.write() as conn:
            yield conn
        return
    db.engine.dispose()
    engine = sa.create_engine(db.engine.url)

    @event.listens_for(engine, "connect")
    def _unjournalled(dbapi_conn, _record) -> None:
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000", "temp_store = MEMORY"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def generate(db: Database, visits: int, *, days: int = 90, sites: tuple[str, ...] = ("hq", "branch"),
             now_ms: int, seed: int = 14, alone: bool = False) -> None:
    """``visits`` signed-out visits over the ``days`` days before ``now_ms``'s day, site by site in turn."""
    kind = db.kind
    types = "CASE " + " ".join(f"WHEN g.i % 7 = {n} THEN '{t}'" for n, t in enumerate(TYPES)) + " ELSE 'guest' END"
    with _writer(db, alone) as conn:
        _staging(conn, visits, seed)
        conn.execute(sa.text(f"CREATE TABLE gen AS {_gen_sql(kind, visits, days, list(sites), now_ms)}"))
        conn.execute(sa.text(
            "INSERT INTO visits (site, visit_id, state, name, company, host_name, host_department, signed_in_at, "
            "signed_out_at, doc) SELECT g.site, g.visit_id, 'signed_out', p.name, c.company, h.name, h.department, "
            f"g.at, g.at + g.stay, {_doc(kind, types)} "
            "FROM gen g JOIN gen_pool p ON p.pid = g.pid JOIN gen_company c ON c.cid = g.cid "
            "JOIN gen_host h ON h.hid = g.hid"))
        conn.execute(sa.text(
            "INSERT INTO register (site, visit_id, at, left_at, state, company, host, department, visitor_type, rating, "
            f"keys) SELECT g.site, g.visit_id, g.at, g.at + g.stay, 'signed_out', c.company, h.name, h.department, "
            f"{types}, g.rating, p.keys FROM gen g JOIN gen_company c ON c.cid = g.cid JOIN gen_host h ON h.hid = g.hid "
            "JOIN gen_pool p ON p.pid = g.pid"))
        conn.execute(sa.text(
            "INSERT INTO register_terms (field, term, site, visit_id, at) "
            "SELECT DISTINCT 'n', k.term, g.site, g.visit_id, g.at "
            "FROM gen g JOIN gen_keys k ON k.pid = g.pid"))
        for table in ("gen", "gen_pool", "gen_keys", "gen_company", "gen_host"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
    if kind == "postgresql":  # as autovacuum would soon after such a load; SQLite's server never analyses
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
