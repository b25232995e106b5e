"""The legibility check itself (tests/ui/legibility.py), on widgets whose colours are known: it
must find the fill a text is really drawn on (a button's own, a screen's verdict colour), blend
opacity and disabled colours as Kivy draws them, and flag what falls under 4.5:1 or 71 px. The
screen walk in test_screens.py relies on it for every screen of every role."""

from __future__ import annotations

import pytest

from kiosk.ui import theme as T
from tests.ui.legibility import (background_of, blend, contrast_problems, contrast_ratio, target_problems,
                                 text_colour)

from kivy.uix.boxlayout import BoxLayout  # noqa: E402 - Kivy after the conftest's environment
from kivy.uix.label import Label  # noqa: E402


def close(a, b) -> bool:
    return all(abs(x - y) < 0.01 for x, y in zip(a[:3], b[:3]))


def test_wcag_ratios_of_known_pairs():
    assert contrast_ratio((1, 1, 1), (0, 0, 0)) == pytest.approx(21)
    assert contrast_ratio((1, 1, 1), (1, 1, 1)) == pytest.approx(1)
    assert contrast_ratio((0.463, 0.463, 0.463), (1, 1, 1)) == pytest.approx(4.54, abs=0.02)  # #767676


@pytest.fixture
def panel(drive):
    """A strip of test widgets on top of the running app's window."""
    d = drive()
    strip = BoxLayout(size_hint=(None, None), size=(900, 100), pos=(100, 300))
    d.app.root.add_widget(strip)
    yield d, strip
    d.app.root.remove_widget(strip)


def test_a_button_is_read_against_its_own_fill_and_a_dim_one_fails(panel):
    from kiosk.ui.widgets import KButton

    d, strip = panel
    green, muted = KButton(text="OK", fill=T.PRIMARY), KButton(text="→ 李四", fill=T.PRIMARY, color=T.MUTED)
    old_green = KButton(text="old", fill=(0.071, 0.529, 0.396, 1))  # the PRIMARY before this check
    for widget in (green, muted, old_green):
        strip.add_widget(widget)
    d.pump(0.1)
    assert close(background_of(green), T.PRIMARY)
    found = contrast_problems(strip)
    assert [p for p in found if "'→ 李四'" in p] and [p for p in found if "'old'" in p]
    assert not [p for p in found if "'OK'" in p], found


def test_a_disabled_button_reads_its_disabled_colour_on_a_plain_fill(panel):
    from kiosk.ui.widgets import KButton

    d, strip = panel
    button = KButton(text="Please sign first", fill=T.PRIMARY, disabled=True)
    strip.add_widget(button)
    d.pump(0.1)
    under = background_of(button)
    assert close(under, T.SURFACE)
    assert close(text_colour(button, under), T.DISABLED_TEXT)
    assert not contrast_problems(strip)
    button.disabled_color = (1, 1, 1, 0.3)  # Kivy's default: readable only to the test, not to people
    d.pump(0.1)
    assert contrast_problems(strip)


def test_opacity_fades_text_toward_what_is_under_it(panel):
    d, strip = panel
    label = Label(text="faded", color=T.MUTED, opacity=0.3)
    strip.add_widget(label)
    d.pump(0.1)
    under = background_of(label)
    assert close(under, T.BACKGROUND)
    assert close(text_colour(label, under), blend(T.MUTED, T.BACKGROUND, 0.3))
    assert contrast_problems(strip)


def test_a_small_button_is_flagged_and_a_key_sized_one_passes(panel):
    from kiosk.ui.widgets import KButton

    d, strip = panel
    strip.add_widget(KButton(text="small", size_hint=(None, None), size=(170, 60)))
    strip.add_widget(KButton(text="key", size_hint=(None, None), size=(71, 71)))
    d.pump(0.1)
    found = target_problems(strip)
    assert len(found) == 1 and "'small'" in found[0], found


def test_the_exit_posts_verdict_text_is_read_on_the_verdict_colour(drive, tmp_path):
    from tests.ui.test_exit_post import Clock
    from tests.ui.test_exit_verdicts import exit_post

    d = drive(exit_post(tmp_path, Clock()))
    screen = d.current()
    screen.state, screen.heading = "amber", "Already signed out"
    d.pump(0.1)
    heading = screen.ids.first_heading
    assert close(background_of(heading), T.VERDICT_AMBER)
    screen.ready()


@pytest.mark.parametrize("state", ["ready", "green", "amber", "red"])
def test_the_exit_posts_typing_warning_reads_on_every_verdict_colour(drive, tmp_path, state):
    """Typing at the exit post (not a scanner's burst) warns in any state, a verdict's colour too."""
    from tests.ui.test_exit_post import Clock
    from tests.ui.test_exit_verdicts import exit_post

    d = drive(exit_post(tmp_path, Clock()))
    screen = d.current()
    screen.state, screen.heading, screen.message = state, "Signed out", "typed"
    d.pump(0.1)
    assert not contrast_problems(screen), contrast_problems(screen)
    screen.ready()
    screen.message = ""
