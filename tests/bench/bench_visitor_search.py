"""Benchmark: reception's visitor search as it types, against the host search.

Run as a script: `python tests/bench/bench_visitor_search.py [--visits N] [--rounds R]`. It signs
N visitors into a real kiosk log (names and companies as bench_host_search makes them), then
types each query one key at a time through `Kiosk.search` (the SQL look-up of the stored text,
the pinyin index over the last month's visits, kept while the log is unchanged, and the badge
number) and, over the same names as a host directory, through `HostIndex.search`. It prints
median and p99 per keystroke and their ratio to the host search in the same run (the machine is
noisy; the goal is reception as fast as the kiosk's host search, within a frame). Nothing here
asserts (pytest does not collect this file).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from kiosk.core.hosts import Host, HostIndex  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from tests.bench.bench_host_search import keystrokes, make_hosts, make_queries, timed  # noqa: E402
from tests.bench.stats import p99  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261207)
    people = make_hosts(args.visits, rng)  # a name and a "department" standing in for a company
    host = Host("h1", "李四", "研发部")
    with tempfile.TemporaryDirectory() as data:
        kiosk = Kiosk.open(Settings(data_dir=data, site="hq", device="desk"), PreviewPrinter(os.path.join(data, "p")))
        start = time.perf_counter()
        for person in people:
            kiosk.check_in(name=person.name, company=person.department, host=host)
        fill_s = time.perf_counter() - start
        start = time.perf_counter()
        kiosk.search("z")  # the first search builds the index
        build_s = time.perf_counter() - start
        directory = HostIndex(people)
        queries = make_queries(people, rng)
        samples = {kind: [] for kind in queries}
        hosts = {kind: [] for kind in queries}
        for _ in range(args.rounds):
            for kind, typed in queries.items():
                samples[kind] += [timed(kiosk.search, q) for q in typed]
                hosts[kind] += [timed(directory.search, q) for q in typed]
    print(f"visits {len(people)} signed in in {fill_s:.1f} s; index build on the first search {build_s:.2f} s")
    print(f"{'':12}{'median ms':>10}{'p99 ms':>10}{'host med':>10}{'host p99':>10}{'med ratio':>11}")
    for kind in queries:
        s, h = samples[kind], hosts[kind]
        print(f"{kind:12}{statistics.median(s):10.3f}{p99(s):10.3f}{statistics.median(h):10.3f}{p99(h):10.3f}"
              f"{statistics.median(s) / statistics.median(h):10.0f}x")
    everything = [x for s in samples.values() for x in s]
    print(f"all: median {statistics.median(everything):.3f} ms, p99 {p99(everything):.3f} ms per keystroke "
          f"(a frame is 16.7 ms; keystrokes {sum(len(q) for q in queries.values())} x {args.rounds})")


if __name__ == "__main__":
    _ = keystrokes  # the queries are typed one key at a time by make_queries
    main()
