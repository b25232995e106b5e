"""Where the console sends a browser after logging in (session.local_path): for any text an
attacker puts in ?next=, a path on this server, never another host a browser would go to."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from hypothesis import example, given, strategies as st

from sync.server.console.session import local_path


@given(st.text())
@example("//evil.example")
@example("/\\evil.example")
@example("/\t/evil.example")
@example("https://evil.example")
@example("/console/audit?who=x")
def test_after_login_the_browser_stays_on_this_server(target):
    went = local_path(target)
    resolved = urlsplit(urljoin("https://visitors.example.com/console/login", went))
    assert resolved.netloc == "visitors.example.com" and resolved.scheme == "https"
    assert went.startswith("/") and not went.startswith("//")
    assert not any(ord(c) < 32 or c == "\\" for c in went)


def test_a_local_path_is_kept():
    assert local_path("/console/rollcall/A?x=1") == "/console/rollcall/A?x=1"
