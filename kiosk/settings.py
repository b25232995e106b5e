"""The device's settings: declared once, read from a TOML file, overridden by environment.

Precedence, lowest first: the defaults below, the TOML file (``--config PATH`` or
``KIOSK_CONFIG``), then ``KIOSK_<NAME>`` environment variables. A value we cannot use raises
:class:`SettingsError` with one line that names the setting and what it accepts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import quote

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from kiosk.core.pinlock import MAX_DIGITS, MIN_DIGITS, PIN_RE
from kiosk.errors import SettingsError

ROLES = ("visitor", "reception", "exit")
LANGUAGES = ("zh_CN", "zh_TW", "en")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")


def _default_data_dir(env: Mapping[str, str]) -> str:
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "kiosk")


def _default_device() -> str:
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:20].strip("-.")
    return host or "kiosk"


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in options:
            raise ValueError("one of " + ", ".join(options))
        return value

    return parse


def _short_name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise ValueError("1-20 characters: letters, digits, '-', '_' or '.', starting with a letter or digit")
    return value


def _empty_or(pattern: str, wanted: str) -> Callable[[str], str]:
    """A text setting that is empty (off, or a default chosen elsewhere) or matches ``pattern``."""
    compiled = re.compile(pattern)

    def parse(value: str) -> str:
        if value and not compiled.match(value):
            raise ValueError(wanted)
        return value

    return parse


def _whole_number(low: int, high: int, unit: str) -> Callable[[Any], int]:
    wanted = f"a whole number of {unit} from {low} to {high}"

    def parse(value: Any) -> int:
        try:
            number = None if isinstance(value, bool) else int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(wanted)
        return number

    return parse


_time_of_day = _empty_or(r"^([01]\d|2[0-3]):([0-5]\d)$", "a time of day HH:MM (24-hour), or empty to switch it off")
_pin = _empty_or(PIN_RE.pattern, f"{MIN_DIGITS}-{MAX_DIGITS} digits, or empty to have the kiosk choose one at first start")
_device_path = _empty_or(r"^/dev/", "a device under /dev/input (e.g. /dev/input/by-id/...-event-kbd), or empty")
_camera_index = _empty_or(r"^[0-9]+$", "a camera index (0 for the first camera), or empty")
_url_or_empty = _empty_or(r"^https?://[^\s/]+", "an http:// or https:// URL, or empty for stand-alone")
_printer_url = _empty_or(r"^(network|usb|serial|file|cups|zpl|preview|brother-ql)://",
                         "a URL such as network://HOST:9100, usb://VID:PID, serial:///dev/ttyUSB0, "
                         "file:///dev/usb/lp0, cups://QUEUE, brother-ql://HOST?label=62, "
                         "zpl://HOST:9100?dpi=203&label=4x3 or preview://DIR")


def _text(value: str) -> str:
    return value


def _channels(kinds: str) -> Callable[[str], str]:
    """Notification channel URLs (kiosk.notify.channels), separated by spaces; each checked
    now, so that a typo stops the start rather than every notice later."""
    def parse(value: str) -> str:
        from kiosk.notify import BadChannel, channel_from_url

        for url in value.split():
            try:
                channel = channel_from_url(url, plain_http=None)  # http:// is judged once all are read
            except BadChannel as exc:
                raise ValueError(str(exc)) from None
            if kinds and channel.kind not in kinds.split():
                raise ValueError(f"a {' or '.join(kinds.split())} URL, or empty")
        return value

    return parse


def _plain_http_hosts(value: str) -> str:
    from kiosk.notify.plainhttp import PlainHttp

    PlainHttp.parse(value)
    return value


def _setting(default, parse: Callable[[Any], Any], help: str, *, secret: bool = False):
    """``secret``: a refused value is not repeated in the error (which lands in logs)."""
    return field(default=default, metadata={"parse": parse, "help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    data_dir: str = _setting("", _text, "where the SQLite log, keys and badge previews live")
    printer: str = _setting("", _printer_url, "printer URL; empty means preview://DATA_DIR/previews")
    printer_fallback: str = _setting("", _printer_url, "a second printer URL, used when the first cannot print; "
                                     "empty means none")
    server: str = _setting("", _url_or_empty, "central server base URL; empty means stand-alone")
    token: str = _setting("", _text, "this device's token for the central server")
    sync_backoff_max: int = _setting(0, _whole_number(0, 3600, "seconds"), "the longest wait between sync "
                                     "rounds after failures; 0: 15 s for a server on the site's network (a private "
                                     "or loopback address, a .local or .lan name), 120 s beyond (sync.backoff)")
    site: str = _setting("default", _short_name, "the site this device belongs to")
    device: str = _setting("", _short_name, "this device's name (default: the host name)")
    role: str = _setting("visitor", _choice(ROLES), "visitor, reception or exit")
    language: str = _setting("zh_CN", _choice(LANGUAGES), "default language: zh_CN, zh_TW or en")
    organisation: str = _setting("", _text, "the company shown on badges")
    logo: str = _setting("", _text, "touchscreen: the company logo (PNG or JPEG) on the welcome screen")
    badge_valid_hours: int = _setting(12, _whole_number(1, 168, "hours"), "how long a badge stays valid")
    auto_signout_at: str = _setting("", _time_of_day, "HH:MM when visitors still on site are signed out")
    idle_seconds: int = _setting(45, _whole_number(15, 600, "seconds"), "touchscreen: seconds without a touch before the form is wiped")
    agreement_valid_days: int = _setting(30, _whole_number(0, 3650, "days"), "touchscreen: a returning visitor who "
                                         "accepted the same agreement version this many days ago or less does not "
                                         "sign it again (0: every visit signs)")
    scanner: str = _setting("", _device_path, "touchscreen: a USB scanner read exclusively through evdev "
                            "(empty: scanners type into the window like a keyboard)")
    camera: str = _setting("", _camera_index, "touchscreen: scan badges with this camera (0 is the first), "
                           "or empty for none")
    smtp: str = _setting("", _channels("email"), "notices by email: smtp://USER:PASSWORD@HOST:587?from=ADDRESS "
                         "(STARTTLS), smtps://... (TLS); empty: no email")
    webhook: str = _setting("", _channels("webhook"), "notices as signed JSON: webhook+https://HOST/PATH#secret=S")
    notify: str = _setting("", _channels(""), "more notice channels for every host, space-separated: WeCom, "
                           "DingTalk, Feishu, Slack or Teams webhook URLs (see kiosk/notify/channels.py)")
    meet_at: str = _setting("", _text, "where hosts meet their visitors, told in every notice (e.g. 1F 前台)")
    privacy_notice: str = _setting("", _text, "touchscreen: a folder with the site's own privacy notice "
                                   "(zh_CN.txt, zh_TW.txt, en.txt as in assets/notice); empty: the built-in one")
    privacy_contact: str = _setting("", _text, "whom visitors ask about their data, said in the privacy notice "
                                    "(e.g. privacy@example.com); empty: reception")
    policy: str = _setting("", _text, "the entry policy, a TOML or JSON file (visitor types, their questions and "
                           "badge hours, opening hours); empty: four built-in types, open at all hours")
    allow_plain_http: str = _setting("", _plain_http_hosts, "hosts, IP addresses or networks (CIDR) that notice "
                                     "channels may reach over plain http:// (empty: https:// only)")
    retention_days: int = _setting(180, _whole_number(1, 3650, "days"), "days a finished visit keeps the visitor's "
                                   "identifying data on this device (stand-alone; a server's site policy otherwise)")
    sensitive_retention_days: int = _setting(30, _whole_number(1, 3650, "days"), "days a finished visit keeps "
                                             "signatures and sensitive data (answers, watchlist matches)")
    staff_pin: str = _setting("", _pin, "touchscreen: the staff PIN (empty: chosen at first start, kept in DATA_DIR)",
                              secret=True)

    def __post_init__(self):
        if self.sensitive_retention_days > self.retention_days:
            raise SettingsError("sensitive_retention_days: must not be more than retention_days "
                                f"({self.retention_days})")
        if not self.data_dir:
            object.__setattr__(self, "data_dir", _default_data_dir(os.environ))
        if not self.device:
            object.__setattr__(self, "device", _default_device())

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()

    @property
    def plain_http(self):
        """allow_plain_http, parsed (kiosk.notify.plainhttp.PlainHttp)."""
        from kiosk.notify.plainhttp import PlainHttp

        return PlainHttp.parse(self.allow_plain_http)

    @property
    def printer_url(self) -> str:
        return self.printer or "preview://" + quote(str(self.data_path / "previews"))


def env_name(name: str) -> str:
    return "KIOSK_" + name.upper()


def load_settings(config: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from defaults, the TOML file and the environment (``os.environ`` by default)."""
    env = os.environ if env is None else env
    config = config or env.get("KIOSK_CONFIG")
    values: dict[str, tuple[Any, str]] = {}
    if config:
        for key, value in _read_toml(Path(config)).items():
            values[key] = (value, f"{key} in {config}")
    for f in dataclasses.fields(Settings):
        if env_name(f.name) in env:
            values[f.name] = (env[env_name(f.name)], env_name(f.name))
    parsed = {name: _parse(name, value, where) for name, (value, where) in values.items()}
    parsed["data_dir"] = parsed.get("data_dir") or _default_data_dir(env)
    settings = Settings(**parsed)
    _check_plain_http(settings, {name: where for name, (_, where) in values.items()})
    return settings


def _check_plain_http(settings: Settings, where: Mapping[str, str]) -> None:
    """The site's own channels (webhook, notify) use http:// only to hosts allow_plain_http lists."""
    from kiosk.notify.channels import plain_http_refusal

    allowed = settings.plain_http
    for name in ("webhook", "notify"):
        for url in getattr(settings, name).split():
            refused = plain_http_refusal(url, allowed)
            if refused:
                raise SettingsError(f"{where.get(name, name)}: {refused}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"config file {path} cannot be read: {exc}") from None
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    return data


def _parse(name: str, value: Any, where: str) -> Any:
    f = next(f for f in dataclasses.fields(Settings) if f.name == name)
    try:
        if f.type == "str" and not isinstance(value, str):
            raise ValueError("text in quotes")
        return f.metadata["parse"](value)
    except ValueError as exc:
        got = f"{len(str(value))} characters" if f.metadata["secret"] else repr(value)
        raise SettingsError(f"{where}: expected {exc} (got {got})") from None
