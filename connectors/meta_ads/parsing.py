"""Reading Meta's insights pages in Python: the cursor and the account's time zone the client needs,
the line a landed page is written as, and the row-by-row parser that is the reference pages.sql is
tested against (tests/test_meta_pages.py) and the "before" figure of `make bench`."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Mapping

from connectors.errors import MalformedPayloadError
from connectors.redaction import excerpt

PLATFORM = "meta"

# Graph sends decimals as plain strings ("12.34"); an exponent form ("1.0E-5", "-2E-18"), which
# other ad APIs do send for near-zero amounts, is accepted too and money is rounded to cents.
_DECIMAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_INTEGER = re.compile(r"-?\d+(\.0+)?")


_WHITESPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


def _after_whitespace(body: str, position: int) -> int:
    """The first position from `position` on that is not JSON whitespace."""
    match = _WHITESPACE.match(body, position)
    assert match is not None  # the pattern matches the empty string too
    return match.end()


def next_page_cursor(body: str) -> str | None:
    """The `after` cursor of the next page, or None on the last: the rule of the SDK's Cursor.load_next_page
    (facebook_business/api.py), where `paging.next` present means another page follows.

    Read from the page's `paging` object alone, which Graph writes after `data`: the SDK has parsed the body
    once already (FacebookResponse.is_success), and a second whole parse would cost more than the load.
    The key cannot be matched inside a row: a quote inside a JSON string is always escaped.
    """
    start = body.rfind('"paging"')
    if start < 0:
        return None
    colon = _after_whitespace(body, start + len('"paging"'))
    if body[colon : colon + 1] != ":":
        return None
    try:
        paging, _ = _DECODER.raw_decode(body, _after_whitespace(body, colon + 1))
    except ValueError:
        return None
    if not isinstance(paging, dict) or "next" not in paging:
        return None
    after = (paging.get("cursors") or {}).get("after")
    return after if isinstance(after, str) and after else None


def landed_page(
    account_id: str, level: str, time_zone: str, since: dt.date, until: dt.date, number: int, body: str
) -> str:
    """One line of an account's landed file (meta_ads_pages.sql reads it): the page's body as Graph sent
    it, beside what was asked for. String work on the page, nothing per row."""
    request = {
        "account_id": account_id,
        "level": level,
        "account_timezone": time_zone,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "page_number": number,
    }
    # A raw line break can only be whitespace between JSON tokens (inside strings it is escaped):
    # replacing it keeps the page's meaning and makes it one line.
    if "\n" in body or "\r" in body:
        body = body.replace("\r", " ").replace("\n", " ")
    # Graph's paging links carry the access token: the staging file's writer scrubs it out of the whole line
    # (pipelines/warehouse.py, connectors/redaction.py).
    return f'{json.dumps(request, separators=(",", ":"))[:-1]},"page":{body}}}'


def parse_account_time_zone(node: Mapping, account_id: str) -> str:
    """The account node's `timezone_name`, refused unless it is a zone name DuckDB and Python know."""
    name = node.get("timezone_name")
    if not isinstance(name, str) or name not in zoneinfo.available_timezones():
        raise MalformedPayloadError(
            PLATFORM,
            f"Meta returned no usable time zone for ad account act_{account_id} (timezone_name={name!r}); nothing from this sync was written. Rerun later; if it persists, report it with this message.",
            account_id,
        )
    return name


def parse_insights_row(row: Mapping, account_id: str, level: str, since: dt.date, until: dt.date) -> dict:
    """Validate one wire row and return the raw-table record (see RAW_COLUMNS)."""

    def fail(what: str) -> MalformedPayloadError:
        return MalformedPayloadError(
            PLATFORM,
            f"Meta returned a malformed insights row for ad account act_{account_id} ({what}); nothing from this sync was written. Row: {excerpt(json.dumps(dict(row)), 300)}",
            account_id,
        )

    def number(field: str, pattern: re.Pattern, cast):
        value = row.get(field)
        if value is None:
            return 0  # Meta omits a metric with nothing to report
        if not isinstance(value, (str, int, float)) or not pattern.fullmatch(str(value)):
            raise fail(f"{field}={value!r} is not a number")
        return cast(float(value))

    def action_list(field: str) -> list[dict]:
        entries = row.get(field) or []
        if not isinstance(entries, list):
            raise fail(f"{field} is not a list")
        parsed = []
        for entry in entries:
            if (
                not isinstance(entry, Mapping)
                or "action_type" not in entry
                or not _DECIMAL.fullmatch(str(entry.get("value", "")))
            ):
                raise fail(f"{field} entry {entry!r} lacks action_type or a numeric value")
            parsed.append({"action_type": entry["action_type"], "value": float(entry["value"])})
        return parsed

    try:
        day = dt.date.fromisoformat(str(row.get("date_start")))
    except ValueError:
        raise fail(f"date_start={row.get('date_start')!r} is not a date") from None
    if row.get("date_stop") != row.get("date_start") or not since <= day <= until:
        raise fail(f"a daily row must have date_start = date_stop within {since}..{until}")
    if str(row.get("account_id")) != account_id:
        raise fail(f"account_id {row.get('account_id')!r} is not the account asked for")
    for required in ("campaign_id", "account_currency") + (("ad_id",) if level == "ad" else ()):
        if not row.get(required):
            raise fail(f"{required} is missing")
    objective = row.get("objective")
    if objective is not None and not isinstance(objective, str):
        raise fail(f"objective={objective!r} is not a string")
    return {
        "account_id": account_id,
        "date": day.isoformat(),
        "level": level,
        "campaign_id": str(row["campaign_id"]),
        "campaign_name": row.get("campaign_name"),
        "adset_id": row.get("adset_id"),
        "ad_id": row.get("ad_id"),
        "ad_name": row.get("ad_name"),
        "account_currency": row["account_currency"],
        "spend": number("spend", _DECIMAL, lambda v: round(v, 2) + 0.0),  # + 0.0: never -0.0
        "impressions": number("impressions", _INTEGER, int),
        "reach": number("reach", _INTEGER, int),
        "frequency": number("frequency", _DECIMAL, float),
        "clicks": number("clicks", _INTEGER, int),
        "inline_link_clicks": number("inline_link_clicks", _INTEGER, int),
        "actions": action_list("actions"),
        "action_values": action_list("action_values"),
        "raw_row": json.dumps(dict(row), separators=(",", ":")),
        "objective": objective,
    }
