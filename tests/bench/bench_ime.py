"""Benchmark: the pinyin input engine's first load and its per-keystroke candidates.

Run as a script: `python tests/bench/bench_ime.py [--runs N]`. Each run loads the table in a fresh
Python process, as a kiosk does once after start, and reports the time to import the module, the
time to load the table, and the memory it keeps (tracemalloc) and adds to the process (RSS). The
baseline is the floor of any loader of this file in that same process: reading and gunzipping it.
Then it types names, company words and initials one key at a time and reports the median and
p99 time of `candidates()`. The target is a load well under 100 ms; nothing here asserts it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from kiosk.core.ime import PinyinInput  # noqa: E402
from tests.bench.stats import p99  # noqa: E402

TYPED = ["zhangsan", "zhangwei", "liming", "wangfang", "ouyangxiu", "lvbu", "zengguofan", "beijing",
         "shanghai", "shenzhen", "keji", "youxiangongsi", "jituan", "maoyi", "wangluo", "xinxijishu",
         "bjkjyxgs", "hzwl", "kj", "mianshi", "songhuo", "shangwuqiatan", "xi'an", "zzz", "iii"]

COLD = r"""
import gzip, json, os, time, tracemalloc
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
start = time.perf_counter()
from kiosk.core import ime
imported = time.perf_counter()
rss = rss_kb()
floor_start = time.perf_counter()
gzip.decompress(ime.DATA_PATH.read_bytes())
floor = time.perf_counter() - floor_start
load_start = time.perf_counter()
ime._table()
load = time.perf_counter() - load_start
rss_added = rss_kb() - rss
ime._loaded = None
tracemalloc.start()
ime._table()
kept, peak = tracemalloc.get_traced_memory()
print(json.dumps({"import": imported - start, "load": load, "floor": floor, "rss_added": rss_added * 1024,
                  "kept": kept, "peak": peak}))
"""


def cold_runs(runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout))
    return results


def keystroke_ms(script: str, field: str = "other") -> list[float]:
    import time

    samples = []
    for text in TYPED:
        engine = PinyinInput(script, field=field)
        for letter in text:
            engine.type(letter)
            start = time.perf_counter_ns()
            engine.candidates()
            samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold = cold_runs(args.runs)
    size = os.path.getsize(os.path.join(ROOT, "assets", "ime", "pinyin.txt.gz"))
    print(f"table {size / 1e6:.2f} MB gzipped; {args.runs} cold loads, each in a fresh process")

    def med(key):
        return statistics.median(r[key] for r in cold)

    print(f"  import {med('import') * 1000:.1f} ms   load {med('load') * 1000:.1f} ms median, "
          f"{max(r['load'] for r in cold) * 1000:.1f} ms max   "
          f"(load/baseline {med('load') / med('floor'):.1f}x; baseline read+gunzip {med('floor') * 1000:.1f} ms)")
    print(f"  memory kept {med('kept') / 1e6:.1f} MB (tracemalloc), peak while loading {med('peak') / 1e6:.1f} MB, "
          f"RSS added {med('rss_added') / 1e6:.1f} MB")
    for script, field in (("zh_CN", "other"), ("zh_TW", "other"), ("zh_CN", "name"), ("zh_CN", "company")):
        keystroke_ms(script, field)  # warm: the first keystroke of a line splits it
        samples = keystroke_ms(script, field)
        print(f"  candidates() {script} {field} field: median {statistics.median(samples):.3f} ms, p99 {p99(samples):.3f} ms "
              f"over {len(samples)} keystrokes")


if __name__ == "__main__":
    main()
