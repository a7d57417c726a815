"""Secrets out of every text the pipeline writes: one scrub for the warehouse's rows, the staging files, error
messages, log lines and run metadata.

The scrub knows the run's secret values: every setting whose name says it holds one (TOKEN, SECRET,
PASSWORD, PRIVATE or API_KEY in it: the platforms' tokens, LinkedIn's client secret and refresh token, the SMTP
password), read from the environment when the scrub is made, and whatever a connector obtains while it runs (a refreshed access token), handed to
`remember`. Each is found in every form it takes on the way: as is, percent-encoded (a link's query), and
JSON-escaped (`\\u003d`, `\\/`, `\\"`), once or nested (a row's JSON inside a staging line's JSON), in any mix.
On top, a credential in a link or a form (`access_token=…`, `refresh_token=…`) is blanked whatever its value:
Graph writes the token into every paging link, and a token the run never saw (a Page token Graph derived) is
still a token.

Scrubbing is applied to finished text, never to pieces of it before they are cut: `excerpt` scrubs, then cuts,
so that no half of a secret survives a length limit.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
# Settings whose values are secrets, whichever platform or library reads them; not one that names a file (the
# secrets file's own path, SOCIAL_ROI_SECRETS_FILE, is said in the messages that ask to fix it).
SECRET_SETTING = re.compile(r"^(?!.*_FILE$).*(TOKEN|SECRET|PASSWORD|PRIVATE|API_KEY)", re.IGNORECASE)
# A value shorter than this is not scrubbed by value: flags and "1" would blank out ordinary words.
MIN_SECRET_LENGTH = 6
# Form and query parameters that carry a credential whatever its value (OAuth 2.0, RFC 6749 §4.1.3 and §5.1;
# Graph's `access_token` query parameter, developers.facebook.com/docs/graph-api/overview#access-tokens).
CREDENTIAL_PARAMETERS = ("access_token", "refresh_token", "client_secret", "id_token")
# Characters that no encoding rewrites (RFC 3986's unreserved set; JSON escapes none of them either): a run of
# them is found as is in every form of the secret, so a plain search for it rules the secret out quickly.
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")

_remembered: set[str] = set()


def remember(*secrets: str | None) -> None:
    """Secrets a connector obtained while running (a refreshed access token, a new refresh token): scrubbed from
    then on, like the settings' own."""
    _remembered.update(secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH)


def secret_settings(env: Mapping[str, str]) -> tuple[str, ...]:
    """The values of the secret settings in `env` (see SECRET_SETTING)."""
    return tuple(
        value.strip()
        for name, value in env.items()
        if SECRET_SETTING.search(name) and len((value or "").strip()) >= MIN_SECRET_LENGTH
    )


class Scrubber:
    """The secrets known when it is made (the environment's, the remembered ones and `extra`), and the scrub
    that removes them: made once for a stream of texts (a sync's staging lines), called per text."""

    def __init__(self, extra: Iterable[str | None] = ()):
        self._extra = {s for s in extra if s and len(s) >= MIN_SECRET_LENGTH}
        self._learn()

    def _learn(self) -> None:
        self._remembered_count = len(_remembered)
        secrets = {*secret_settings(os.environ), *_remembered, *self._extra}
        # longest first: a secret that contains another is replaced whole
        self._patterns = [_secret_pattern(secret) for secret in sorted(secrets, key=len, reverse=True)]

    def __call__(self, text: str) -> str:
        """`text` with every secret, in any of its encodings, and every credential parameter's value replaced by
        [redacted]."""
        if not text:
            return text
        if len(_remembered) != self._remembered_count:
            # a secret obtained since the scrub was made (a Page token read mid-sync, while its rows are staged
            # by a scrub made before the sync began): known from now on
            self._learn()
        for core, pattern in self._patterns:
            if core is None or core in text:
                text = pattern.sub(REDACTED, text)
        for name, patterns in _PARAMETER_PATTERNS:
            if name in text:
                for pattern in patterns:
                    text = pattern.sub(rf"\g<1>{REDACTED}", text)
        return text


def scrub(text: str, extra: Iterable[str | None] = ()) -> str:
    """`text` with every secret known now (and `extra`) replaced, in any of its encodings, and every credential
    parameter's value."""
    return Scrubber(extra)(text)


def excerpt(text: str, limit: int, extra: Iterable[str | None] = ()) -> str:
    """At most `limit` characters of `text` for an error message: scrubbed whole first, then cut."""
    return scrub(text, extra)[:limit]


def scrub_value(value: Any, scrubber: Scrubber | None = None) -> Any:
    """A metadata value with its text scrubbed: strings, and the strings inside lists and dicts."""
    scrubber = scrubber or Scrubber()
    if isinstance(value, str):
        return scrubber(value)
    if isinstance(value, Mapping):
        return {key: scrub_value(item, scrubber) for key, item in value.items()}
    if type(value) in (list, tuple):  # not a named tuple, whose fields are not a sequence of values
        return type(value)(scrub_value(item, scrubber) for item in value)
    return value


def stored_line(record: Mapping[str, Any] | str, scrubber: Scrubber) -> str:
    """One staging line for the warehouse: the record as JSON with any nested `paging` object of a platform's
    answer dropped from its JSON columns (it is the platform's navigation, not data, and Graph writes the token
    into its links), then scrubbed as a whole, as it will be written. A page source's line (JSON text already)
    is only scrubbed."""
    if isinstance(record, str):
        return scrubber(record)
    return scrubber(json.dumps({name: _without_paging(value) for name, value in record.items()}, separators=(",", ":")))


def _without_paging(value: Any) -> Any:
    if isinstance(value, str):
        if '"paging"' not in value:  # a key; inside a JSON string the quotes would be escaped
            return value
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(_drop_paging(parsed), separators=(",", ":"), ensure_ascii=False)
    return _drop_paging(value)


def _drop_paging(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _drop_paging(item) for key, item in value.items() if not (key == "paging" and isinstance(item, dict))
        }
    if isinstance(value, list):
        return [_drop_paging(item) for item in value]
    return value


@functools.lru_cache(maxsize=256)
def _secret_pattern(secret: str) -> tuple[str | None, re.Pattern]:
    """(a run of the secret found as is in every encoding, or None when it has none long enough to search for;
    the pattern matching the secret with each character in any of its encodings)."""
    core = max(_UNRESERVED.findall(secret), key=len, default="")
    return (core if len(core) >= 4 else None), re.compile("".join(_any_encoding(char) for char in secret))


def _hex(digits: str) -> str:
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in digits)


def _any_encoding(char: str) -> str:
    """A regular expression for one character as it may be written: as is, percent-encoded (once or twice, hex in
    either case, `+` for a space), or JSON-escaped (`\\uXXXX` in either case, a surrogate pair beyond the BMP,
    `\\"`, `\\/`), with the backslashes of escaping nested any number of times."""
    if _UNRESERVED.fullmatch(char):
        return re.escape(char)
    percent = "".join(f"%(?:25)*{_hex(f'{byte:02X}')}" for byte in char.encode())
    utf16 = char.encode("utf-16-be")
    units = [f"{int.from_bytes(utf16[i : i + 2], 'big'):04x}" for i in range(0, len(utf16), 2)]
    json_escape = r"\\*".join(f"u{_hex(unit)}" for unit in units)
    forms = [re.escape(char), percent, json_escape, *([r"\+"] if char == " " else [])]
    return rf"(?:\\*(?:{'|'.join(forms)}))"


_PARAMETER_PATTERNS = tuple(
    (
        name,
        (
            # in a link or a form: `=` as is, percent-encoded or JSON-escaped; the value runs to the next parameter
            # (an `&` of a percent-encoded link, %26, ends it too)
            re.compile(rf"({name}(?:=|%(?:25)*3[dD]|\\*u003[dD]))(?:(?!%(?:25)*26)[^&\s\"'\\<>#])*"),
            # in JSON, escaped or not: "name": "value"
            re.compile(rf'({name}\\*"\s*:\s*\\*")[^"\\]*'),
        ),
    )
    for name in CREDENTIAL_PARAMETERS
)


class _ScrubbedRecords:
    """A log record factory: each record's message is formatted, scrubbed and fixed as it is made, and the text
    of its exception with it, so that no handler, formatter or Dagster log storage ever sees the secret."""

    def __init__(self, make_record):
        self.make_record = make_record

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it later, as it would without us
            return record
        scrubbed = scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record


def scrub_every_log_record() -> None:
    """Install the scrub on every log record this process makes (idempotent): the pipeline's entry points call it."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _ScrubbedRecords):
        logging.setLogRecordFactory(_ScrubbedRecords(factory))
