"""The entry policy: each kind of visitor, opening hours (midnight, holidays, night ranges), the
watchlist's say, strictest-wins, and the policy document's validation."""

import copy
import json
import tomllib
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.policy import (AFTER_HOURS, ALLOW, APPROVE, BLOCK, CLOSED_DAY, DEFAULT_POLICY, OUTCOMES,
                               TYPE_NEEDS_APPROVAL, UNKNOWN_TYPE, WATCHLIST_APPROVE, WATCHLIST_BLOCK,
                               WATCHLIST_NEAR, Hours, Policy, clean_answers, decide)
from kiosk.core.watchlist import WatchEntry, Watchlist, name_keys
from kiosk.errors import ValidationError

name_keys("张")  # import pypinyin now, not inside a hypothesis deadline

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2024, 6, 3, 10, 0, tzinfo=CST)
NOBODY = Watchlist([])
ANSWERS = {"guest": {}, "contractor": {"work_area": "机房 B2", "permit": "SG-2024-017", "tools": "yes"},
           "interview": {"position": "后端工程师"}, "delivery": {"recipient": "李四", "parcels": "2"}}
ALWAYS_OPEN = Hours(**{day: (("00:00", "24:00"),) for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})


def decision(visitor_type="guest", name="王芳", company="", phone="", answers=None, when=MONDAY_10,
             policy=DEFAULT_POLICY, watchlist=NOBODY):
    return decide(policy, watchlist, visitor_type=visitor_type, name=name, company=company, phone=phone,
                  answers=ANSWERS.get(visitor_type, {}) if answers is None else answers, when=when)


def with_hours(**hours):
    return replace(DEFAULT_POLICY, hours=Hours(**hours))


# -- visitor types ----------------------------------------------------------------------------

@pytest.mark.parametrize("visitor_type, outcome, reasons, hours", [
    ("guest", ALLOW, (), 12), ("contractor", APPROVE, (TYPE_NEEDS_APPROVAL,), 10),
    ("interview", ALLOW, (), 4), ("delivery", ALLOW, (), 1),
])
def test_each_type_in_opening_hours(visitor_type, outcome, reasons, hours):
    d = decision(visitor_type)
    assert (d.outcome, d.reasons, d.matches, d.badge_valid_ms) == (outcome, reasons, (), hours * 3_600_000)


def test_an_unknown_type_waits_for_reception_with_the_shortest_badge():
    d = decision("vip")
    assert (d.outcome, d.reasons, d.badge_valid_ms) == (APPROVE, (UNKNOWN_TYPE,), 3_600_000)


def test_unanswered_questions_are_refused_all_named():
    with pytest.raises(ValidationError) as info:
        decision("contractor", answers={"work_area": "机房", "permit": "  "})
    assert (info.value.field, info.value.code) == ("answers.permit", "missing_answer")
    assert "permit, tools" in str(info.value)


@pytest.mark.parametrize("answers, field, code", [
    ({**ANSWERS["contractor"], "tools": "maybe"}, "answers.tools", "invalid_choice"),
    ({**ANSWERS["contractor"], "permit": "SG\x1b[2J"}, "answers.permit", "control_character"),
    ({**ANSWERS["contractor"], "work_area": "x" * 201}, "answers.work_area", "too_long"),
])
def test_bad_answers_are_refused(answers, field, code):
    with pytest.raises(ValidationError) as info:
        decision("contractor", answers=answers)
    assert (info.value.field, info.value.code) == (field, code)


def test_answers_are_tidied_and_strangers_dropped():
    delivery = DEFAULT_POLICY.visitor_type("delivery")
    assert clean_answers(delivery, {"recipient": "  李  四 ", "parcels": "more", "position": "x"}) == {
        "recipient": "李 四", "parcels": "more"}
    with pytest.raises(ValidationError, match="must be one of 1, 2, 3, more"):
        clean_answers(delivery, {"recipient": "李四", "parcels": "7"})


# -- hours ------------------------------------------------------------------------------------

@pytest.mark.parametrize("when, reason", [
    (datetime(2024, 6, 3, 7, 59, 59, tzinfo=CST), AFTER_HOURS),
    (datetime(2024, 6, 3, 8, 0, tzinfo=CST), None),
    (datetime(2024, 6, 3, 19, 59, 59, tzinfo=CST), None),
    (datetime(2024, 6, 3, 20, 0, tzinfo=CST), AFTER_HOURS),
    (datetime(2024, 6, 7, 23, 59, 59, tzinfo=CST), AFTER_HOURS),  # Friday night
    (datetime(2024, 6, 8, 0, 0, tzinfo=CST), CLOSED_DAY),  # Saturday
    (datetime(2024, 6, 9, 12, 0, tzinfo=CST), CLOSED_DAY),  # Sunday
])
def test_default_hours(when, reason):
    assert DEFAULT_POLICY.hours.closed_reason(when) == reason
    d = decision(when=when)
    assert (d.outcome, d.reasons) == ((APPROVE, (reason,)) if reason else (ALLOW, ()))


def test_a_holiday_closes_a_weekday():
    policy = with_hours(mon=(("08:00", "20:00"),), closed=(date(2024, 6, 10),))
    assert policy.hours.closed_reason(datetime(2024, 6, 3, 10, 0, tzinfo=CST)) is None
    assert policy.hours.closed_reason(datetime(2024, 6, 10, 10, 0, tzinfo=CST)) == CLOSED_DAY


def test_a_night_range_runs_past_midnight():
    hours = Hours(fri=(("22:00", "06:00"),), closed=(date(2024, 6, 8),))

    def at(day, hour, minute=0):
        return hours.closed_reason(datetime(2024, 6, day, hour, minute, tzinfo=CST))

    assert at(7, 21, 59) == AFTER_HOURS and at(7, 22) is None and at(7, 23, 59) is None
    assert at(8, 0) is None and at(8, 5, 59) is None  # Saturday is a holiday, but Friday's night goes on
    assert at(8, 6) == CLOSED_DAY
    assert replace(hours, closed=(date(2024, 6, 7),)).closed_reason(
        datetime(2024, 6, 8, 2, 0, tzinfo=CST)) == CLOSED_DAY  # a holiday's own night range is closed too


def test_a_whole_day_ends_at_24_00():
    assert ALWAYS_OPEN.closed_reason(datetime(2024, 6, 9, 23, 59, 59, tzinfo=CST)) is None
    assert ALWAYS_OPEN.closed_reason(datetime(2024, 6, 9, 0, 0, tzinfo=CST)) is None


@pytest.mark.parametrize("after_hours, outcome, reasons", [
    (ALLOW, ALLOW, ()), (APPROVE, APPROVE, (AFTER_HOURS,)), (BLOCK, BLOCK, (AFTER_HOURS,))])
def test_after_hours_does_what_it_says(after_hours, outcome, reasons):
    policy = with_hours(mon=(("08:00", "09:00"),), after_hours=after_hours)
    d = decision(policy=policy)
    assert (d.outcome, d.reasons) == (outcome, reasons)


def test_hours_read_the_local_wall_clock():
    # The same instant: 10:00 in Shanghai is open; given in UTC it reads 02:00, so the caller
    # must pass the site's local time.
    assert decision(when=datetime(2024, 6, 3, 10, 0, tzinfo=CST)).outcome == ALLOW
    assert decision(when=datetime(2024, 6, 3, 2, 0, tzinfo=timezone.utc)).outcome == APPROVE
    with pytest.raises(ValueError, match="timezone-aware"):
        decision(when=datetime(2024, 6, 3, 10, 0))


# -- the watchlist's say ----------------------------------------------------------------------

WATCHED = Watchlist([WatchEntry("zw", "张伟", note="incident 2024-03"), WatchEntry("ln", "李娜", action=APPROVE),
                     WatchEntry("hw", company="华为技术有限公司", action=APPROVE)])


@pytest.mark.parametrize("name, company, outcome, reasons", [
    ("Zhang Wei", "", BLOCK, (WATCHLIST_BLOCK,)),
    ("Li Na", "", APPROVE, (WATCHLIST_APPROVE,)),
    ("zhangwie", "", APPROVE, (WATCHLIST_NEAR,)),  # near a blocked name: a person looks
    ("王芳", "华为技术", APPROVE, (WATCHLIST_APPROVE,)),
    ("张伟", "华为技术股份有限公司", BLOCK, (WATCHLIST_BLOCK, WATCHLIST_APPROVE)),
    ("王芳", "", ALLOW, ()),
])
def test_watchlist_matches(name, company, outcome, reasons):
    d = decision(name=name, company=company, watchlist=WATCHED)
    assert (d.outcome, d.reasons) == (outcome, reasons) and len(d.matches) == len(reasons)


def test_the_strictest_verdict_wins_and_every_reason_is_kept():
    d = decision("contractor", name="张伟", when=datetime(2024, 6, 8, 10, 0, tzinfo=CST), watchlist=WATCHED)
    assert (d.outcome, d.reasons) == (BLOCK, (WATCHLIST_BLOCK, TYPE_NEEDS_APPROVAL, CLOSED_DAY))
    assert d.badge_valid_ms == 10 * 3_600_000


# -- the document -----------------------------------------------------------------------------

def test_the_default_policy_survives_json():
    assert Policy.from_dict(json.loads(json.dumps(DEFAULT_POLICY.to_dict(), ensure_ascii=False))) == DEFAULT_POLICY


def test_a_policy_reads_from_toml():
    policy = Policy.from_dict(tomllib.loads('''
        [[types]]
        key = "guest"
        labels = { zh_CN = "访客", zh_TW = "訪客", en = "Guest" }
        badge_hours = 8.5

        [[types]]
        key = "contractor"
        labels = { zh_CN = "施工人员", zh_TW = "施工人員", en = "Contractor" }
        agreement = "contractor"
        needs_approval = true
        questions = [{ key = "tools", kind = "yesno", labels = { zh_CN = "工具", zh_TW = "工具", en = "Tools" } }]

        [hours]
        mon = [["08:30", "12:00"], ["13:30", "18:00"]]
        sat = [["22:00", "06:00"]]
        closed = [2024-10-01, "2024-10-02"]
        after_hours = "block"
    '''))
    assert policy.visitor_type("guest").badge_hours == 8.5
    assert policy.hours.closed == (date(2024, 10, 1), date(2024, 10, 2))
    assert policy.hours.closed_reason(datetime(2024, 6, 3, 12, 30, tzinfo=CST)) == AFTER_HOURS  # lunch
    assert Policy.from_dict(policy.to_dict()) == policy
    assert policy.to_dict()["hours"]["closed"] == ["2024-10-01", "2024-10-02"]


def mutated(change):
    doc = copy.deepcopy(DEFAULT_POLICY.to_dict())
    change(doc)
    return doc


@pytest.mark.parametrize("change, field, code", [
    (lambda d: d["types"][0].update(badge_hours=0), "policy.types[0].badge_hours", "invalid"),
    (lambda d: d["types"][0].update(badge_hours="12"), "policy.types[0].badge_hours", "invalid"),
    (lambda d: d["types"][0].update(badge_hour=12), "policy.types[0].badge_hour", "unknown_field"),
    (lambda d: d["types"][0].update(needs_approval="yes"), "policy.types[0].needs_approval", "wrong_type"),
    (lambda d: d["types"][0].update(key="Guest!"), "policy.types[0].key", "invalid"),
    (lambda d: d["types"][0]["labels"].pop("zh_TW"), "policy.types[0].labels", "invalid"),
    (lambda d: d["types"][0].pop("labels"), "policy.types[0].labels", "required"),
    (lambda d: d["types"][2].update(key="guest"), "policy.types[2].key", "duplicate"),
    (lambda d: d["types"][1]["questions"][0].update(kind="number"), "policy.types[1].questions[0].kind", "invalid"),
    (lambda d: d["types"][1]["questions"][0].update(choices=[{"key": "a", "labels": {}}]),
     "policy.types[1].questions[0].choices[0].labels", "invalid"),
    (lambda d: d["types"][3]["questions"][1].update(choices=[]), "policy.types[3].questions[1].choices", "invalid"),
    (lambda d: d["types"][3]["questions"][1]["choices"].append({"key": "1", "labels": d["types"][0]["labels"]}),
     "policy.types[3].questions[1].choices[4].key", "duplicate"),
    (lambda d: d["types"][1].update(questions={"tools": "yesno"}), "policy.types[1].questions", "wrong_type"),
    (lambda d: d.update(types=[]), "policy.types", "required"),
    (lambda d: d.pop("hours"), "policy.hours", "required"),
    (lambda d: d["hours"].update(mon=[["08:00"]]), "policy.hours.mon[0]", "wrong_type"),
    (lambda d: d["hours"].update(tue=[["08:00", "25:00"]]), "policy.hours.tue[0]", "invalid"),
    (lambda d: d["hours"].update(wed=[["8:00", "18:00"]]), "policy.hours.wed[0]", "invalid"),
    (lambda d: d["hours"].update(thu=[["08:00", "08:00"]]), "policy.hours.thu[0]", "invalid"),
    (lambda d: d["hours"].update(fri=[["24:00", "06:00"]]), "policy.hours.fri[0]", "invalid"),
    (lambda d: d["hours"].update(tues=[]), "policy.hours.tues", "unknown_field"),
    (lambda d: d["hours"].update(closed=["2024-02-30"]), "policy.hours.closed[0]", "invalid"),
    (lambda d: d["hours"].update(after_hours="maybe"), "policy.hours.after_hours", "invalid"),
])
def test_a_bad_document_is_refused_at_its_path(change, field, code):
    with pytest.raises(ValidationError) as info:
        Policy.from_dict(mutated(change))
    assert (info.value.field, info.value.code) == (field, code)
    assert str(info.value).startswith(field + " ")


@pytest.mark.parametrize("raw", [None, [], "types"])
def test_a_document_must_be_a_table(raw):
    with pytest.raises(ValidationError, match="^policy must be a table"):
        Policy.from_dict(raw)


# -- properties -------------------------------------------------------------------------------

SEVERITY = {outcome: rank for rank, outcome in enumerate(OUTCOMES)}
PEOPLE = ["张伟", "Zhang Wei", "zhangwie", "李娜", "Li Na", "王小明", "Wang Xiaoming", "Wang Xiaomnig",
          "王芳"]
COMPANIES = ["", "华为技术有限公司", "华为技术", "Acme Co., Ltd.", "ACME"]
PHONES = ["", "13800138000", "+86 138 0013 8000", "13900139000"]
entries = st.one_of(  # a person (by name, maybe phone) or a whole company
    st.builds(lambda i, name, phone, action: WatchEntry(f"e{i}", name, phone=phone, action=action),
              st.integers(0, 10**6), st.sampled_from(PEOPLE), st.sampled_from(PHONES),
              st.sampled_from([BLOCK, APPROVE])),
    st.builds(lambda i, company, action: WatchEntry(f"e{i}", company=company, action=action),
              st.integers(0, 10**6), st.sampled_from(COMPANIES[1:]), st.sampled_from([BLOCK, APPROVE])),
)
visits = st.fixed_dictionaries({
    "visitor_type": st.sampled_from(["guest", "contractor", "interview", "delivery", "vip"]),
    "name": st.sampled_from(PEOPLE), "company": st.sampled_from(COMPANIES), "phone": st.sampled_from(PHONES),
    "when": st.datetimes(datetime(2024, 1, 1), datetime(2025, 1, 1), timezones=st.just(CST)),
})
policies = st.builds(lambda action: replace(DEFAULT_POLICY, hours=replace(DEFAULT_POLICY.hours, after_hours=action)),
                     st.sampled_from(OUTCOMES))


def run(policy, watchlist, visit):
    return decide(policy, watchlist, answers=ANSWERS.get(visit["visitor_type"], {}), **visit)


@settings(max_examples=200, deadline=None)
@given(policies, st.lists(entries, max_size=6, unique_by=lambda e: e.entry_id), entries, visits)
def test_a_watchlist_entry_never_makes_a_decision_less_strict(policy, listed, added, visit):
    before = run(policy, Watchlist(listed), visit)
    after = run(policy, Watchlist(listed + [replace(added, entry_id="added")]), visit)
    assert SEVERITY[after.outcome] >= SEVERITY[before.outcome]
    assert set(before.reasons) <= set(after.reasons)


@settings(max_examples=200, deadline=None)
@given(policies, st.lists(entries, max_size=6, unique_by=lambda e: e.entry_id), visits)
def test_a_decision_is_the_strictest_of_its_parts(policy, listed, visit):
    """Each rule alone (the others made neutral: open all hours, no type needing approval, an
    empty watchlist), then all together."""
    watchlist = Watchlist(listed)
    no_approval = tuple(replace(t, needs_approval=False) for t in policy.types)
    parts = [run(replace(policy, hours=ALWAYS_OPEN), NOBODY, visit),
             run(replace(policy, types=no_approval), NOBODY, visit),
             run(replace(policy, types=no_approval, hours=ALWAYS_OPEN), watchlist, visit)]
    whole = run(policy, watchlist, visit)
    assert whole.outcome == max((p.outcome for p in parts), key=SEVERITY.__getitem__)
    assert set(whole.reasons) == {r for p in parts for r in p.reasons}
