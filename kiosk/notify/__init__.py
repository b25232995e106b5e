"""Host notifications: tell a host that their visitor arrived, left a note or needs approval.

This package only delivers. A :class:`Notice` says what happened, :func:`render` words it in the
host's language, and a :class:`Channel` made from one URL by :func:`channel_from_url` (email,
a signed webhook, WeCom, DingTalk, Feishu/Lark, Slack, Teams) sends it, once. Queueing and
retrying belong to the outbox that calls it; what it needs to decide is
:attr:`DeliveryFailed.retry`.

No message, log line or ``repr()`` made here holds a password, token, key or secret from a
channel URL: they name a channel by its kind and host only ("dingtalk oapi.dingtalk.com").
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class NotifyError(Exception):
    """Base class of everything this package raises on purpose."""


class BadChannel(NotifyError):
    """A channel setting that cannot work (a bad URL, an unknown kind); the message says what
    is accepted and never repeats the URL's secrets."""


class DeliveryFailed(NotifyError):
    """A notice was not delivered. ``retry`` is True when trying again later may work (network
    down, timeouts, 5xx, 429, garbage answers, rate limits) and False when a person must act
    first (4xx, a permanent SMTP refusal, an invalid key, no email address)."""

    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


class Channel(ABC):
    """One way to reach hosts. ``description`` is safe to show: kind and host, no secrets."""

    kind: str

    def __init__(self, description: str):
        self.description = description

    @abstractmethod
    def deliver(self, notice: Notice) -> None:
        """Send one notice, or raise :class:`DeliveryFailed`."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


from kiosk.notify.notice import Notice, render  # noqa: E402 - it needs nothing above, but reads best here


def __getattr__(name: str):
    # The channels bring requests and smtplib (tens of ms): the touchscreen imports them when it
    # first delivers a notice, not before its first frame.
    if name == "channel_from_url":
        from kiosk.notify.channels import channel_from_url
        return channel_from_url
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["BadChannel", "Channel", "DeliveryFailed", "Notice", "NotifyError", "channel_from_url", "render"]
