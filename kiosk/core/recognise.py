"""Recognising a returning visitor without telling anyone else who they are.

A phone number is no secret (it is on business cards and in e-mail signatures), so an earlier
visit found by the number is neither shown nor used until the visitor has proved they know
the name that visit was made under, in one of two ways:

- **Typing it.** Names are compared as the watchlist compares them
  (:func:`kiosk.core.watchlist.name_keys`): Han characters by their pinyin, so simplified and
  traditional alike, letters casefolded, full width as half width, either word order; 王小明,
  "wang xiaoming" and "XIAOMING WANG" all confirm a visit made as 王小明. Near spellings do
  not: the answer proves the visitor knows the name, it is not a search.
- **Picking it** among :data:`CHOICES` names (:func:`name_choices`): one tap instead of a dozen
  keys, the visitor's own name being the one they recognise at a glance.

What the choices tell someone who has only the number, and what they do not:

- *The name is one of four.* The made-up names and the position of the real one come from a
  hash of the number and the earlier visit's id (random, never shown, the same on every device
  of the site that holds the visit), so asking again, on this kiosk or another, shows the same
  four names in the same order; nothing is learnt by comparing looks.
- *The made-up names look like the real one:* the same script and shape (a three-character
  Chinese name among three-character names, simplified or traditional as it is written, two
  capitalised words among two capitalised words), from the commonest surnames and given-name
  characters of the pinyin table's name data. A name those could not have made (a rare
  surname or character, a given name outside the list) would stand out, so for it no names
  are offered: the visitor types it, as before.
- *A guess is one guess.* A wrong answer, typed or picked, means the visitor is taken as a new
  visitor, and the kiosk locks that number's recognition for 12 hours (kiosk.ui.flow; kept in
  memory, so a restart of the kiosk forgets it), the same four names still shown and none of
  them confirming, so trying each in turn fails.
- *Whether the number was used before can show.* A number never seen shows four made-up names
  shaped like a name in the kiosk's language (seeded by the device's own signature of the
  number, so they differ from kiosk to kiosk, where a known number's four are the same
  everywhere); a known number whose name cannot be made up asks for typing. That the number
  was used is told; whose it was is not.

So a holder of the number learns at most that it was used and that the name is one of four
plausible ones, never the company, the host or anything else of the visit, and gets a badge
in the earlier visitor's name with one chance in four per number per kiosk per day. A kiosk
that must not give even that much can leave :data:`CHOICES` to typing (``name_choices`` is
only called by the UI).
"""

from __future__ import annotations

import random
import re

from kiosk.core.ime import common_name_parts, is_hanzi
from kiosk.core.watchlist import name_keys

CHOICES = 4
_SURNAMES, _GIVEN_CHARS = 60, 300
# Common Latin given names and surnames (the most frequent in US and UK records), for names
# written in letters.
LATIN_GIVEN = ("James", "John", "Robert", "Michael", "David", "William", "Richard", "Thomas", "Daniel",
               "Paul", "Mark", "Peter", "Mary", "Anna", "Linda", "Sarah", "Laura", "Emma", "Julia", "Lisa",
               "Karen", "Helen", "Susan", "Emily", "Kevin", "Brian", "Steven", "Alice", "Grace", "Lucy")
LATIN_FAMILY = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
                "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Green", "Baker", "Adams",
                "Nelson", "Hill", "Scott", "Moore", "White", "Harris", "Martin", "Thompson", "Wood", "Evans",
                "Turner")
_WORD = re.compile(r"\S+")


def confirms(typed: str, stored: str) -> bool:
    """True when ``typed`` is ``stored`` written another way (see the module's docstring);
    never for a name with no letters."""
    keys = set(name_keys(stored))
    return bool(keys) and not keys.isdisjoint(name_keys(typed))


def name_choices(real: str, seed: bytes, lang: str) -> list[str]:
    """:data:`CHOICES` names to pick one's own from: ``real`` (the earlier visit's name; empty
    for a number never seen) among made-up names of its shape, all drawn from ``seed``, a
    secret of the device for this number (see the module's docstring)."""
    if real and not could_be_made_up(real):
        return []  # it would stand out among made-up names: the visitor types it instead
    rng = random.Random(seed)
    pattern = real or ("三" * rng.choice((2, 3, 3, 3)) if lang != "en" else "Ann Lee")
    traditional = lang == "zh_TW" if not real else _is_traditional(real)
    made_up: list[str] = []
    while len(made_up) < CHOICES - (1 if real else 0):
        name = _like(pattern, rng, traditional)
        if name not in made_up and not (real and confirms(name, real)) \
                and not any(confirms(name, other) for other in made_up):
            made_up.append(name)
    if real:
        made_up.insert(rng.randrange(CHOICES), real)
    return made_up


def could_be_made_up(name: str) -> bool:
    """Whether ``name`` is one :func:`_like` could have made (its surname among the common ones,
    its given-name characters or words among those made-up names use): only then does it
    not stand out among made-up names (Jean-Pierre Kowalczyk beside Helen Wright would)."""
    surnames, given, to_traditional = _parts()
    simplified = {t: s for s, t in to_traditional.items()}
    words = _WORD.findall(name)
    latin = [w for w in words if not all(is_hanzi(c) for c in w)]
    if latin and (latin[0].capitalize() not in LATIN_GIVEN
                  or any(w.capitalize() not in LATIN_FAMILY for w in latin[1:])):
        return False
    for word in (w for w in words if all(is_hanzi(c) for c in w)):
        han = "".join(simplified.get(c, c) for c in word)
        compound = len(han) >= 4
        surname = han[:2] if compound else han[:1]
        if surname not in surnames["compound" if compound else "single"] \
                or any(c not in given for c in han[len(surname):]):
            return False
    return bool(words)


def _like(pattern: str, rng: random.Random, traditional: bool) -> str:
    """A made-up name of ``pattern``'s shape: each run of Han characters a Chinese name of the
    same length, each word in letters a given name, then surnames."""
    surnames, given, to_traditional = _parts()
    words, latin_seen = [], 0
    for word in _WORD.findall(pattern):
        if all(is_hanzi(c) for c in word):
            compound = len(word) >= 4  # 欧阳娜娜, not 莫敬双翔
            surname = rng.choice(surnames["compound" if compound else "single"])
            han = surname + "".join(rng.choice(given) for _ in range(max(len(word) - len(surname), 1)))
            words.append("".join(to_traditional.get(c, c) for c in han) if traditional else han)
        else:
            latin = rng.choice(LATIN_GIVEN if latin_seen == 0 else LATIN_FAMILY)
            words.append(latin.lower() if word.islower() else latin.upper() if word.isupper() else latin)
            latin_seen += 1
    return " ".join(words)


def _is_traditional(name: str) -> bool:
    """The name has a character whose traditional form differs (written 陳, not 陈)."""
    _, _, to_traditional = _parts()
    traditional_only = _traditional_only()
    return any(c in traditional_only for c in name) and not any(c in to_traditional and to_traditional[c] != c
                                                                  for c in name)


_cache: dict[str, object] = {}


def _parts():
    if "parts" not in _cache:
        surnames, given, to_traditional = common_name_parts(10_000, _GIVEN_CHARS)
        by_kind = {"single": [s for s in surnames if len(s) == 1][:_SURNAMES],
                   "compound": [s for s in surnames if len(s) == 2][:10] or ["欧阳"]}
        _cache["parts"] = (by_kind, given, to_traditional)
    return _cache["parts"]


def _traditional_only() -> frozenset[str]:
    if "traditional" not in _cache:
        _, _, to_traditional = _parts()
        _cache["traditional"] = frozenset(t for s, t in to_traditional.items() if t != s)
    return _cache["traditional"]
