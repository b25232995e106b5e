"""Email to the host over SMTP (smtplib), with TLS unless the relay is on this machine.

The message is UTF-8 plain text with an HTML alternative. Its ``Message-ID`` is made from the
notice id, so a notice sent twice (the outbox retries after a lost answer) is one message in
the host's mail client. Headers are made from the cleaned notice (no CR/LF left in it); the
subject travels Base64-encoded and the others through :mod:`email`'s SMTP policy, which refuses
CR/LF in a header value: a visitor's name cannot add a header or a recipient.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.header import Header
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

from kiosk.notify import BadChannel, Channel, DeliveryFailed
from kiosk.notify.notice import Notice, one_line, render, render_html

STARTTLS = "starttls"  # smtp://       port 587, STARTTLS required
TLS = "tls"            # smtps://      port 465, TLS from the first byte
PLAIN = "plain"        # smtp+plain:// port 25, no TLS: a relay on this machine only
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
# One address: no display name, no whitespace, control characters or header syntax in it.
_ATOM = r"[^@\s<>()\[\],;:\"\\\x00-\x1f\x7f-\x9f\ud800-\udfff]+"
_ADDRESS = re.compile(f"{_ATOM}@{_ATOM}")


def is_address(text: str) -> bool:
    """Whether ``text`` is one bare email address, safe to put in a header and an envelope,
    and one the email package will write (it refuses john.@corp.com, a..b@x.com)."""
    if len(text) > 254 or _ADDRESS.fullmatch(text) is None:
        return False
    try:
        Address(addr_spec=text)
    except (ValueError, MessageError):  # the header defects are ValueErrors
        return False
    return True


class SmtpChannel(Channel):
    kind = "email"

    def __init__(self, host: str, port: int, *, security: str, sender: str, username: str = "",
                 password: str = "", cafile: str | None = None, timeout: float = 10.0):
        super().__init__(f"email {host}:{port}")
        if not _ADDRESS.fullmatch(parseaddr(sender)[1]):
            raise BadChannel(f"{self.description}: add the sender address as ?from=ADDRESS")
        if security == PLAIN and host not in _LOOPBACK:
            raise BadChannel(f"{self.description}: smtp+plain:// sends in clear and is for a relay on this "
                             "machine (localhost) only; use smtp:// (STARTTLS) or smtps://")
        try:
            self._context = ssl.create_default_context(cafile=cafile)
        except OSError:
            raise BadChannel(f"{self.description}: cannot read the CA file {cafile}") from None
        self._host, self._port, self._security = host, port, security
        self.sender, self._username, self._password = sender, username, password
        self._timeout = timeout

    def deliver(self, notice: Notice) -> None:
        self.send(self._message(notice), notice.host_email)

    def send(self, message: EmailMessage, to: str) -> None:
        """Send a message composed elsewhere (an invitation) to one address that
        :func:`is_address` accepts, from :attr:`sender`, or raise :class:`DeliveryFailed`."""
        try:
            smtp = self._connect()
            try:
                self._secure(smtp)
                if self._username:
                    smtp.login(self._username, self._password)
                smtp.send_message(message, from_addr=parseaddr(self.sender)[1], to_addrs=[to])
            finally:
                # No QUIT: the server took the message at the end of DATA, and a failed goodbye
                # must not make the outbox send it again.
                smtp.close()
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise self._refused("refused the recipient", code, text) from None
        except smtplib.SMTPResponseException as exc:  # STARTTLS, login, sender or data refused
            raise self._refused("answered", exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryFailed(f"{self.description}: the server does not offer AUTH; remove user:password "
                                 "from the URL", retry=False) from None
        except ssl.SSLCertVerificationError:
            raise DeliveryFailed(f"{self.description}: the server's TLS certificate is not trusted "
                                 "(for a private CA, add ?cafile=PATH)", retry=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            # smtplib reports a command's timeout as a lost connection caused by the timeout.
            if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
                raise DeliveryFailed(f"{self.description}: no answer within {self._timeout:g} s", retry=True) from None
            raise DeliveryFailed(f"{self.description}: cannot reach the server or the connection broke "
                                 f"({type(exc).__name__})", retry=True) from None

    def _message(self, notice: Notice) -> EmailMessage:
        if not notice.host_email:
            raise DeliveryFailed(f"{self.description}: the host has no email address", retry=False)
        if not is_address(notice.host_email):
            raise DeliveryFailed(f"{self.description}: the host's email {notice.host_email!r} is not an address",
                                 retry=False)
        clean = notice.cleaned()
        subject, text = render(clean)
        message = EmailMessage(policy=SMTP)
        # Python's header folder can drop a space where it splits two encoded words (CPython
        # gh-144156); the older encoder splits inside the Base64 text and keeps every space.
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep=SMTP.linesep))
        message["From"] = self.sender
        message["To"] = Address(display_name=clean.host_name, addr_spec=notice.host_email)
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = f"<{notice.notice_id}@kiosk>"
        message.set_content(text, charset="utf-8")
        message.add_alternative(render_html(clean), subtype="html", charset="utf-8")
        return message

    def _connect(self) -> smtplib.SMTP:
        # The timeout covers the connection and then every command's answer.
        if self._security == TLS:
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=self._context)
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)

    def _secure(self, smtp: smtplib.SMTP) -> None:
        if self._security != STARTTLS:
            return
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            # Sending anyway would hand names (and a password) to anyone on the path.
            raise DeliveryFailed(f"{self.description}: the server does not offer STARTTLS, which smtp:// "
                                 "requires; use smtps:// or fix the server", retry=False)
        smtp.starttls(context=self._context)
        smtp.ehlo()

    def _refused(self, what: str, code: int, text: bytes | str) -> DeliveryFailed:
        said = one_line(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
        if self._password:
            said = said.replace(self._password, "***")
        # 4xx is a temporary refusal (greylisting, a busy mailbox), 5xx a permanent one.
        return DeliveryFailed(f"{self.description}: the server {what}: {code} {said[:200]}", retry=code < 500)
