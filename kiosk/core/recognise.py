"""Recognising a returning visitor without telling anyone else who they are.

A phone number is no secret (it is on business cards and in e-mail signatures), so an earlier
visit found by the number is neither shown nor used until the visitor has typed the name that
visit was made under. Names are compared as the watchlist compares them
(:func:`kiosk.core.watchlist.name_keys`): Han characters by their pinyin, so simplified and
traditional alike, letters casefolded, full width as half width, either word order; 王小明,
王小明, "wang xiaoming" and "XIAOMING WANG" all confirm a visit made as 王小明. Near spellings do
not: the answer proves the visitor knows the name, it is not a search.
"""

from __future__ import annotations

from kiosk.core.watchlist import name_keys


def confirms(typed: str, stored: str) -> bool:
    """True when ``typed`` is ``stored`` written another way (see the module's docstring);
    never for a name with no letters."""
    keys = set(name_keys(stored))
    return bool(keys) and not keys.isdisjoint(name_keys(typed))
