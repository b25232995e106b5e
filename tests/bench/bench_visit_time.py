"""How long each kind of visitor spends at the touchscreen, by the Keystroke-Level Model (Card,
Moran and Newell), computed from what the UI tests really did and showed: it runs
tests/ui/test_personas.py (the real Kivy app under Xvfb, driven by touches to a printed badge)
with the driver recording every tap, key, candidate, drag, scan and screen with its texts, then
applies the operators to that record.

Operators: a tap (K) 0.2 s; pointing (P) 1.1 s for each target acquired (every button and
candidate; on the keyboard only the first key of a run, the finger being there for the next);
mental preparation (M) 1.35 s for each decision (each screen acted on, each candidate chosen
from a list or checked before Next takes it, each scan); reading each new text once per visit, Chinese at 250 characters a
minute and English at 200 words a minute; the agreement counted as skimmed (10 s, whatever its
length); a signature drawn with a finger 2 s after pointing at the pad (KLM's drawing, not one
of the brief's operators: an assumption). System response time is not counted.

Usage: python tests/bench/bench_visit_time.py [--texts]   (needs Xvfb, as tests/ui does)

The totals per persona come first, then each screen's share (reading, acting, decisions);
--texts also lists the texts each screen showed, which its reading seconds are made of.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TAP, POINT, MENTAL, SKIMMED_AGREEMENT, SIGNING = 0.2, 1.1, 1.35, 10.0, 2.0
HAN_PER_MINUTE, WORDS_PER_MINUTE = 250, 200
GOALS = {"returning": 15.0, "invited": 15.0}  # others: 30 s, the first visit's goal
FIRST_VISIT_GOAL = 30.0
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


def reading_seconds(text: str) -> float:
    return len(_HAN.findall(text)) / HAN_PER_MINUTE * 60 + len(_WORD.findall(text)) / WORDS_PER_MINUTE * 60


def estimate(record: list) -> dict:
    """Taps, screens acted on and seconds of one visitor's record (see tests/ui/driver.py), in
    all and per screen acted on (``per_screen``: each screen's reading, taps and seconds, its
    actions and decisions included, so the rows add up to the whole)."""
    per_screen: list[dict] = []
    read: set[str] = set()
    previous = ""
    here: dict = {}
    for kind, what, texts in record:
        if kind == "screen":
            here = {"screen": what, "taps": 0, "keys": 0, "decisions": 0, "reading": 0.0, "acting": 0.0,
                    "texts": list(texts)}
            if texts:  # acted on: its texts were taken at the first action
                per_screen.append(here)
                here["decisions"] += 1
                if what == "agreement":
                    here["reading"] += SKIMMED_AGREEMENT
                else:
                    here["reading"] += sum(reading_seconds(t) for t in texts if t not in read)
                read.update(texts)
            previous = kind
            continue
        if kind == "key":
            here["acting"] += TAP + (POINT if previous != "key" else 0.0)
            here["taps"] += 1
            here["keys"] += 1
        elif kind in ("tap", "candidate"):
            here["acting"] += POINT + TAP
            here["taps"] += 1
            here["decisions"] += kind == "candidate"
        elif kind == "commit":  # Next took the first candidate: looked at, not tapped
            here["decisions"] += 1
        elif kind == "drag":
            here["acting"] += POINT + SIGNING
        elif kind == "scan":
            here["acting"] += POINT
            here["decisions"] += 1
        previous = kind
    for screen in per_screen:
        screen["seconds"] = screen["reading"] + screen["acting"] + screen["decisions"] * MENTAL
    total = {key: sum(screen[key] for screen in per_screen)
             for key in ("taps", "keys", "decisions", "reading", "seconds")}
    return {**total, "screens": len(per_screen), "path": [screen["screen"] for screen in per_screen],
            "per_screen": per_screen}


def run_personas(out: Path) -> None:
    env = {**os.environ, "KIOSK_KLM_RECORD": str(out), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "ui" / "test_personas.py")], cwd=ROOT, env=env)
    if done.returncode:
        sys.exit("the persona tests failed: no estimate")


def main() -> None:
    texts = "--texts" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "records.jsonl"
        run_personas(out)
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    print(f"{'persona':<20}{'taps':>6}{'(keys)':>8}{'screens':>9}{'M':>4}{'read s':>8}{'seconds':>9}{'goal':>6}{'ratio':>7}")
    for row in rows:
        figures = estimate(row["record"])
        goal = GOALS.get(row["persona"], FIRST_VISIT_GOAL)
        print(f"{row['persona']:<20}{figures['taps']:>6}{figures['keys']:>8}{figures['screens']:>9}"
              f"{figures['decisions']:>4}{figures['reading']:>8.1f}{figures['seconds']:>9.1f}{goal:>6.0f}"
              f"{figures['seconds'] / goal:>7.2f}")
        print(f"{'':<20}screens: {' > '.join(figures['path'])}")
    print("\nper screen (seconds = reading + pointing and tapping + 1.35 s a decision):")
    print(f"{'persona':<20}{'screen':<12}{'taps':>6}{'(keys)':>8}{'M':>4}{'read s':>8}{'act s':>7}{'seconds':>9}")
    for row in rows:
        for screen in estimate(row["record"])["per_screen"]:
            print(f"{row['persona']:<20}{screen['screen']:<12}{screen['taps']:>6}{screen['keys']:>8}"
                  f"{screen['decisions']:>4}{screen['reading']:>8.1f}{screen['acting']:>7.1f}{screen['seconds']:>9.1f}")
            if texts:  # what the visitor read there (--texts), one text a line
                for text in screen["texts"]:
                    print(f"{'':<32}| {' '.join(text.split())}")


if __name__ == "__main__":
    main()
