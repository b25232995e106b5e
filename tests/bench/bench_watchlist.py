"""Benchmark: matching a visitor against a 10,000-entry watchlist.

Run as a script: `python tests/bench/bench_watchlist.py [--entries N] [--visitors N]`. It builds a
watchlist of realistic names (the host-search benchmark's mix: mostly Chinese, some Latin; some
with phones, a few whole companies), times the index build, then matches visitors of several
kinds: a listed name written otherwise (pinyin, either order, capitals), one swap of letters off
a listed name (a miss is a key under 6 letters, which has no near spellings by design, or a
typo on top of a surname's other reading, such as 单 spelt dan: near matching indexes each
name's likeliest spelling only), others drawn from the same names (so common names and near
spellings of them do match, as they would), and hostile input (10,000 characters).

The machine is noisy, so each figure also comes as a ratio against baselines measured in the
same run: one dict look-up in a 10,000-key dict (the floor), and a linear scan computing the
edit distance to every entry (what the index saves). Nothing is asserted (pytest does not
collect this file).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from pypinyin import lazy_pinyin  # noqa: E402

from kiosk.core.watchlist import WatchEntry, Watchlist, _distance, _reach, name_keys  # noqa: E402
from tests.bench.bench_host_search import make_hosts  # noqa: E402
from tests.bench.stats import p99, timed_each  # noqa: E402


def make_entries(n: int, rng: random.Random) -> list[WatchEntry]:
    entries = [WatchEntry(f"p{i}", host.name, phone=f"139{rng.randrange(10**8):08d}" if rng.random() < 0.3 else "")
               for i, host in enumerate(make_hosts(n - n // 50, rng))]
    return entries + [WatchEntry(f"c{i}", company=f"测试{i}科技有限公司") for i in range(n // 50)]


def respell(name: str, rng: random.Random) -> str:
    """A listed name as someone else writes it: pinyin in either order, or upper-case Latin."""
    if name.isascii():
        return name.upper()
    syllables = lazy_pinyin(name)
    surname, given = syllables[0].title(), "".join(syllables[1:])
    return rng.choice([f"{surname} {given}", f"{given} {surname}", surname + given])


def typo(name: str, rng: random.Random) -> str:
    letters = list("".join(lazy_pinyin(name)).lower().replace(" ", ""))
    at = rng.randrange(len(letters) - 1)
    letters[at], letters[at + 1] = letters[at + 1], letters[at]
    return "".join(letters)


def make_visitors(entries: list[WatchEntry], rng: random.Random, n: int) -> dict[str, list[tuple[str, str, str]]]:
    named = [e for e in entries if e.name]
    others = make_hosts(n, random.Random(7))
    return {
        "listed": [(respell(rng.choice(named).name, rng), "", "") for _ in range(n)],
        "typo": [(typo(rng.choice(named).name, rng), "", "") for _ in range(n)],
        "other": [(h.name, "某某有限公司", "13700000000") for h in others],
        "hostile": [("单a " * 3000, "😀" * 10_000, "1" * 10_000), ("张" * 10_000, "", ""),
                    ("\x00\x1b" * 5000, "", "")],
    }


def linear_scan(keys: list[str], visitor_keys: tuple[str, ...]) -> list[int]:
    """The naive matcher the index replaces: an edit distance to every entry's key."""
    found = []
    for i, key in enumerate(keys):
        for mine in visitor_keys:
            limit = _reach(min(len(key), len(mine)))
            if key == mine or (limit and _distance(mine, key, limit) <= limit):
                found.append(i)
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--visitors", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(20240601)
    entries = make_entries(args.entries, rng)
    name_keys("张")  # pypinyin's import (~0.2 s) is paid once per process, not by the index

    start = time.perf_counter()
    watchlist = Watchlist(entries)
    build_s = time.perf_counter() - start

    visitors = make_visitors(entries, rng, args.visitors)
    samples = {kind: timed_each(lambda v: watchlist.match(*v), people) for kind, people in visitors.items()}
    hits = {kind: sum(bool(watchlist.match(*v)) for v in people) for kind, people in visitors.items()}
    table = {f"{rng.getrandbits(64):016x}": i for i in range(args.entries)}
    probes = [f"{rng.getrandbits(64):016x}" for _ in range(10_000)]
    dict_base = statistics.median(timed_each(table.get, probes))
    keys = [name_keys(e.name)[0] for e in entries if e.name]
    scanned = [name_keys(v[0]) for v in visitors["typo"][:20]]
    scan_base = statistics.median(timed_each(lambda k: linear_scan(keys, k), scanned))

    everyday = [s for kind in ("listed", "typo", "other") for s in samples[kind]]
    print(f"entries {len(watchlist)}  index build {build_s:.2f} s  visitors {sum(map(len, visitors.values()))}")
    print(f"{'':10}{'median ms':>10}{'p99 ms':>9}{'matched':>9}{'median/dict':>13}{'scan/median':>13}")
    for kind, s in list(samples.items()) + [("everyday", everyday)]:
        med = statistics.median(s)
        matched = f"{hits[kind]}/{len(visitors[kind])}" if kind in hits else ""
        print(f"{kind:10}{med:10.3f}{p99(s):9.3f}{matched:>9}{med / dict_base:12.0f}x{scan_base / med:12.0f}x")
    print(f"{'dict':10}{dict_base:10.5f}{'':9}{'':9}   (one dict.get in a {args.entries:,}-key dict)")
    print(f"{'scan':10}{scan_base:10.3f}{'':9}{'':9}   (edit distance to every entry's key, per visitor)")


if __name__ == "__main__":
    main()
