"""A new kiosk's catch-up writes each pulled page as a bulk insert (issue 18, item 8): a page is
one look-up of the ids it holds, one executemany of its new events and one read of its visits'
events, folded once, whatever its size (before: a statement per event and per visit, 280 s for a
site of 1,000,000 events, 10x a bulk insert of the same rows). Statements are counted on the real
SQLite connection; times belong in tests/bench/bench_server_scale.py."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings

from kiosk.core.visits import fold
from kiosk.store.db import Database
from kiosk.store.log import EventLog, visit_to_json
from tests.bench import scale_data
from tests.test_open_fold import visit_events


class Counting:
    """The real connection, counting the statements the log hands it."""

    def __init__(self, conn):
        self._conn = conn
        self.statements = 0

    def execute(self, *args):
        self.statements += 1
        return self._conn.execute(*args)

    def executemany(self, *args):
        self.statements += 1
        return self._conn.executemany(*args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _page(first_visit: int, visits: int) -> list:
    return [e for n in range(first_visit, first_visit + visits)
            for e in scale_data.visit_events(n, "hq", "kiosk-hq", 1_790_000_000_000 + n * 1000, n % 7 != 0, 4 * n + 1)]


def test_a_page_costs_the_same_statements_whatever_its_size(tmp_path):
    db = Database(tmp_path / "log.sqlite3")
    log = EventLog(db, "hq", "lobby-new")
    log.ingest(_page(0, 10))
    counting = db._local.conn = Counting(db.connection())
    spent = []
    for first, visits in ((100, 40), (1000, 250)):
        before = counting.statements
        page = _page(first, visits)
        assert log.ingest(page) == page
        spent.append(counting.statements - before)
    assert spent[0] == spent[1] and spent[0] < 20, spent  # before: 5 a visit, and one per event

    # A page that repeats what is stored and ends a visit begun on the page before: stored once,
    # folded with the events already in the log.
    split = _page(5000, 2)
    assert log.ingest(split[:2]) == split[:2]
    assert log.ingest(split[:2] + split[2:] + split[2:]) == split[2:]
    for visit in {e.visit_id for e in split}:
        assert log.visit(visit) == fold([e for e in split if e.visit_id == visit])
    assert log.count_events() == len(split) + sum(len(_page(f, v)) for f, v in ((0, 10), (100, 40), (1000, 250)))


@settings(max_examples=200)
@given(visit_events())
def test_a_visit_is_stored_as_the_text_asdict_made(events):
    """visit_to_json writes the visit without dataclasses.asdict's deep copy, the same text."""
    visit = fold(events)
    assert visit_to_json(visit) == json.dumps(dataclasses.asdict(visit), ensure_ascii=False, separators=(",", ":"))
