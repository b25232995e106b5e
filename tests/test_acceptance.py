"""A returning visitor's earlier acceptance of the agreement stands only for the same agreement
and version, within agreement_valid_days counted from the acceptance itself (kiosk.core.acceptance)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kiosk.core.acceptance import DAY_MS, acceptance, relied_on, still_accepted, validity_days

NOW = 1_800_000_000_000
SIGNED = {"version": "2026-12-01", "lang": "zh_CN", "signature": ["AAD/AA=="]}


def test_a_signature_is_accepted_at_its_sign_in():
    assert acceptance(SIGNED, NOW, "default", "v1") == {"version": "2026-12-01", "agreement": "default",
                                                        "at": NOW, "visit": "v1"}


def test_nothing_was_accepted_without_a_version():
    assert acceptance(None, NOW, "default", "v1") is None
    assert acceptance({"lang": "zh_CN"}, NOW, "default", "v1") is None
    assert acceptance(SIGNED, None, "default", "v1") is None


@given(st.integers(min_value=1, max_value=3650), st.integers(min_value=0, max_value=4000 * DAY_MS))
def test_it_stands_exactly_while_younger_than_the_period(days, age):
    accepted = acceptance(SIGNED, NOW - age, "default", "v1")
    assert still_accepted(accepted, "2026-12-01", "default", NOW, days) == (age < days * DAY_MS)


def test_zero_days_means_every_visit_signs():
    assert not still_accepted(acceptance(SIGNED, NOW, "default", "v1"), "2026-12-01", "default", NOW, 0)


def test_another_version_or_agreement_does_not_stand():
    accepted = acceptance(SIGNED, NOW - DAY_MS, "default", "v1")
    assert still_accepted(accepted, "2026-12-01", "default", NOW, 30)
    assert not still_accepted(accepted, "2027-01-01", "default", NOW, 30)  # the wording changed
    assert not still_accepted(accepted, "2026-12-01", "contractor", NOW, 30)  # the safety rules


def test_an_acceptance_from_the_future_is_not_trusted():
    assert not still_accepted(acceptance(SIGNED, NOW + DAY_MS, "default", "v1"), "2026-12-01", "default", NOW, 30)


def test_relying_on_it_keeps_the_first_acceptance_so_the_period_does_not_roll_on():
    first = acceptance(SIGNED, NOW - 20 * DAY_MS, "default", "v1")
    second_visit = relied_on(first, "2026-12-01", "en")  # the agreement recorded 20 days later
    assert second_visit["accepted_by"] == "earlier" and second_visit["signature"] == []
    again = acceptance(second_visit, NOW, "default", "v2")  # found by the phone on the next visit
    assert again == {"version": "2026-12-01", "agreement": "default", "at": NOW - 20 * DAY_MS, "visit": "v1"}
    assert not still_accepted(again, "2026-12-01", "default", NOW + 10 * DAY_MS, 30)


def test_a_malformed_reliance_stands_for_nothing():
    assert acceptance({"version": "x", "accepted_by": "earlier"}, NOW, "default", "v2") is None


@pytest.mark.parametrize("setting, sensitive, expected", [(30, 30, 30), (365, 30, 30), (7, 30, 7), (0, 30, 0)])
def test_an_acceptance_never_stands_past_its_signatures_retention(setting, sensitive, expected):
    # A visit relying on an earlier acceptance says that one keeps the signature; the purge
    # empties signatures after sensitive_retention_days, so the acceptance ends there too.
    assert validity_days(setting, sensitive) == expected
