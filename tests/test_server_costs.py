"""The server's reads cost what their answer costs, not what the history costs (issue 18, item 8),
against the real server on SQLite and PostgreSQL: the database's own plan for every statement a
read runs is checked, since times on a shared machine prove nothing.

- Who is on site (one site, every site): the people on site found by their state, the sites
  and how far each is folded by a seek per site, never a read of every event or visit.
- A pull's last page: the site's own range of the log, never other sites' events after the cursor.
- Under a stream of pushes the projection stays within a bound of the log, and reads answer
  within their budget, saying how far behind they are.
"""

from __future__ import annotations

import time

import pytest
import requests
import sqlalchemy as sa

from sync.server import catchup, progress, projector
from sync.server.db import Database
from tests.bench import scale_data
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

SITES, ON_SITE = 4, 3  # the newest ON_SITE visits of each site are still in the building


def _ran(server, call) -> list[tuple[str, object]]:
    """(statement, parameters) of every statement the server ran on the events or visits while
    ``call()`` was answered."""
    ran: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        ran.append((statement, parameters))

    engine = server.app.state.db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return [(s, p) for s, p in ran if " events" in s or " visits" in s]


def plan(db: Database, statement: str, parameters) -> str:
    """The database's plan for a statement the server ran (on PostgreSQL as if every table were
    large: sequential scans priced out, statistics fresh)."""
    with db.engine.connect() as conn:
        if db.kind == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(row[-1] for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters).all())


def _analyzed(db: Database) -> None:
    if db.kind == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def assert_reads_only_what_it_answers(db: Database, statement: str, parameters) -> None:
    shown = plan(db, statement, parameters)
    if db.kind == "sqlite":
        assert "SCAN events" not in shown and "SCAN visits" not in shown, (statement, shown)
        visit_lines = [line for line in shown.splitlines() if " visits " in f"{line} "]
        assert all("state" in line for line in visit_lines), (statement, shown)  # by state, not by sign-in time
    else:
        assert "Seq Scan" not in shown, (statement, shown)
        assert "visits_site_signed_in" not in shown, (statement, shown)
        assert not unbounded_scans(shown), (statement, shown)


def unbounded_scans(shown: str) -> list[str]:
    """PostgreSQL's scans of events or visits without an index condition: a whole index read
    (e.g. a DISTINCT over events_site_seq), which enable_seqscan = off leaves as the cheapest."""
    lines = shown.splitlines()
    found = []
    for n, line in enumerate(lines):
        if " on events" in line or " on visits" in line:
            details = []
            for following in lines[n + 1:]:
                if "->" in following or not following.startswith(" "):
                    break
                details.append(following)
            if not any("Index Cond" in d for d in details):
                found.append(line.strip())
    return found


def test_who_is_on_site_reads_the_people_on_site_not_the_history(server):
    db = server.app.state.db
    scale_data.fill(db, 4000, sites=SITES, on_site=ON_SITE)
    _analyzed(db)
    reception = server.device(scale_data.site_name(1), "desk", "reception")
    answers = {}

    def ask(token: str, key: str, **params) -> None:
        answer = requests.get(server.url + "/v1/visits", params={"on_site": "true", **params},
                              headers=server.headers(token), timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Visits-Behind"] == "0"
        answers[key] = answer.json()["visits"]

    for who, key, params in ((server.admin, "every site", {}), (reception, "one site", {}),
                             (server.admin, "one site (admin)", {"site": scale_data.site_name(2)})):
        ran = _ran(server, lambda: ask(who, key, **params))
        assert ran
        for statement, parameters in ran:
            assert_reads_only_what_it_answers(db, statement, parameters)

    assert len(answers["every site"]) == SITES * ON_SITE
    assert {v["state"] for v in answers["every site"]} == {"waiting"}
    assert [v["site"] for v in answers["one site"]] == [scale_data.site_name(1)] * ON_SITE
    times = [v["signed_in_at"] for v in answers["every site"]]
    assert times == sorted(times)  # still in sign-in order


def test_a_pulls_last_page_reads_the_sites_own_events_only(server):
    """The last page of a pull, where a device that is nearly up to date pulls every round: the
    other sites' events after its cursor are most of the log's end. Ordered by server_seq alone,
    PostgreSQL walked the primary key from the cursor, reading every site's events, and a last
    page never fills its limit to stop early (348 ms at 2,000,000 events)."""
    db = server.app.state.db
    scale_data.fill(db, 8000, sites=SITES, on_site=ON_SITE)
    _analyzed(db)
    # Then the other sites go on: their events past the statistics' end, as at a busy server
    # between two ANALYZEs, where the planner thought few rows come after a recent cursor.
    scale_data.fill(db, 8000, on_site=0, first=2000, only=[n for n in range(SITES) if n != 1])
    site = scale_data.site_name(1)
    token = server.device(site, "lobby")
    with db.read() as conn:
        ends = conn.execute(sa.text("SELECT server_seq FROM events WHERE site = :site ORDER BY server_seq DESC LIMIT 5"),
                            {"site": site}).scalars().all()
    answers = []

    def pull() -> None:
        answer = requests.get(server.url + "/v1/events", params={"after": ends[-1]}, headers=server.headers(token),
                              timeout=30)
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())

    ran = _ran(server, pull)
    assert [e["site"] for e in answers[0]["events"]] == [site] * 4 and answers[0]["more"] is False
    pulls = [(s, p) for s, p in ran if "FROM events" in s and "LIMIT" in s]
    assert pulls
    for statement, parameters in pulls:
        shown = plan(db, statement, parameters)
        if db.kind == "sqlite":
            assert "SCAN events" not in shown and "events_site_seq (site=? AND server_seq>?)" in shown, shown
        else:
            assert "events_pkey" not in shown and not unbounded_scans(shown), shown
            assert "events_site_seq" in shown, shown


# -- the projection under saturation -------------------------------------------------------------

def _push_visits(server, token: str, site: str, device: str, batches: int, first: int = 0) -> None:
    """``batches`` pushes of 500 events (125 visits of four) by the device, through the API."""
    now = time.time_ns() // 1_000_000
    for b in range(batches):
        made = [e.to_dict() for n in range(first + 125 * b, first + 125 * (b + 1))
                for e in scale_data.visit_events(n, site, device, now - 3_600_000, True, 4 * n + 1)]
        answer = requests.post(server.url + "/v1/events", json={"events": made}, headers=server.headers(token),
                               timeout=60)
        assert answer.status_code == 200 and len(answer.json()["accepted"]) == 500, answer.text
        yield


@pytest.fixture
def idle_projector(monkeypatch):
    """The Projector thread waits for a pause in pushes that never comes: as under a stream of
    pushes it cannot keep up with, whatever is folded, the pushes and the reads fold."""
    monkeypatch.setattr(projector, "QUIET_S", 3600)
    monkeypatch.setattr(projector, "MAX_LAG_S", 3600)


def test_pushes_keep_the_projection_within_a_bound_of_the_log(server, idle_projector, monkeypatch):
    monkeypatch.setattr(projector, "MAX_BEHIND", 1000)
    db = server.app.state.db
    token = server.device("hq", "lobby")
    lags = [progress.unfolded(db, "hq") for _ in _push_visits(server, token, "hq", "lobby", 8)]
    assert max(lags) < projector.MAX_BEHIND  # before: 500, 1000, ... 4000 events behind
    assert progress.unfolded(db) == lags[-1]


def test_a_read_answers_within_its_budget_saying_how_far_behind_it_is(server, idle_projector, monkeypatch):
    monkeypatch.setattr(projector, "MAX_BEHIND", 10**9)  # the pushes leave the folding to others
    monkeypatch.setattr(catchup, "READ_BUDGET_S", 0)  # a read folds one bounded batch, then answers
    db = server.app.state.db
    token = server.device("hq", "lobby")
    pushed = 4 * 125 * 12
    for _ in _push_visits(server, token, "hq", "lobby", 12):
        pass
    assert progress.unfolded(db, "hq") == pushed
    seen = []
    while not seen or seen[-1][0]:
        answer = requests.get(server.url + "/v1/visits", params={"site": "hq"}, headers=server.headers(server.admin),
                              timeout=60)
        assert answer.status_code == 200, answer.text
        seen.append((int(answer.headers["Visits-Behind"]), len(answer.json()["visits"])))
        assert len(seen) < 10
    assert len(seen) > 1 and 0 < seen[0][0] < pushed and seen[0][1] < pushed // 4  # before: all at once
    assert [behind for behind, _ in seen] == sorted({behind for behind, _ in seen}, reverse=True)
    assert seen[-1] == (0, pushed // 4)
    for behind, shown in seen:
        assert shown * 4 + behind == pushed  # what it shows and what it says it does not
