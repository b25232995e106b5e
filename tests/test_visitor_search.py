"""Reception's visitor index (kiosk.core.visitor_search), pure: every visitor is found by their
name, its pinyin and initials, their company's pinyin and their host's name; results come
newest first."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from kiosk.core.visitor_search import VisitorIndex
from kiosk.core.visits import Visit

# Characters with one reading each, so a name's pinyin is known without pypinyin.
READINGS = {"王": "wang", "李": "li", "刘": "liu", "陈": "chen", "杨": "yang", "林": "lin", "周": "zhou",
            "明": "ming", "芳": "fang", "伟": "wei", "丽": "li", "军": "jun", "杰": "jie", "敏": "min"}
names = st.text(alphabet=sorted(READINGS), min_size=2, max_size=3)


def visit(n: int, name: str, company: str = "", host: str = "") -> Visit:
    return Visit(visit_id=f"v{n:04d}", state="waiting", signed_in_at=1_000 + n,
                 visitor={"name": name, "company": company}, host={"name": host} if host else {})


@settings(max_examples=60, deadline=None)
@given(st.lists(names, min_size=1, max_size=30))
def test_every_visitor_is_found_by_name_pinyin_and_initials_newest_first(people):
    visits = [visit(n, name) for n, name in enumerate(people)]
    index = VisitorIndex(visits)
    for v in visits:
        name = v.visitor["name"]
        for query in (name, "".join(READINGS[c] for c in name), "".join(READINGS[c][0] for c in name)):
            found = index.search(query, limit=len(visits))
            assert v.visit_id in [f.visit_id for f in found], (query, name)
            assert [f.signed_in_at for f in found] == sorted((f.signed_in_at for f in found), reverse=True)


def test_a_company_and_a_host_are_found_by_their_pinyin():
    index = VisitorIndex([visit(1, "张三", "华为技术有限公司", "李四"), visit(2, "Bob", "化工研究院", "Alice Smith"),
                          Visit(visit_id="v0003", state="invited", signed_in_at=9_999)])  # no visitor: not listed
    assert [v.visit_id for v in index.search("huawei")] == ["v0001"]
    assert [v.visit_id for v in index.search("hgyjy")] == ["v0002"]
    assert [v.visit_id for v in index.search("lisi")] == ["v0001"]
    assert [v.visit_id for v in index.search("alice")] == ["v0002"]
    assert len(index) == 2
