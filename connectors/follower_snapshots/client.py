"""A follower snapshot of every organic account, taken at each sync and kept forever.

The platforms keep only months to two years of organic history, and some give no daily follower
total at all (Instagram and LinkedIn give the day's follows or gains; the total is only "now"). So
each sync records every configured Page's, Instagram account's and LinkedIn organization's follower
total as it stands, as the total at the end of yesterday (the last complete day; the sync runs in
the night). The table only grows: a day already held keeps its first snapshot (KeepSnapshots, connectors/platform.py),
so a re-run, a backfill or a platform that has forgotten the day never rewrites one.

Each organic connector module says how to read its totals (`fetch_follower_totals(settings)`); this
module only puts them side by side, one slice per (platform, account).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from connectors import clock
from connectors.errors import PlatformError
from connectors.platform import Platform, RecordSlice

PLATFORM = "follower_snapshots"
RAW_TABLE = "follower_snapshots"
RAW_COLUMNS = {
    "platform": "VARCHAR",  # the organic source: facebook_pages, instagram, linkedin_pages
    "account_id": "VARCHAR",  # the Page, Instagram account or organization id
    "date": "DATE",  # the day whose end the total describes: the day before the sync ran (UTC)
    "followers": "BIGINT",
    "taken_at": "TIMESTAMP",  # when the sync read it (UTC)
    "raw_row": "JSON",
}


CREDENTIALS_HINT = "META_PAGE_IDS, INSTAGRAM_ACCOUNT_IDS or LINKEDIN_ORGANIZATION_IDS"


def organic_platforms() -> list[Platform]:
    """Every platform of the registry that declares its follower totals (read when called: the
    registry lists this module's platform too)."""
    from connectors.registry import PLATFORMS

    return [platform for platform in PLATFORMS if platform.follower_totals is not None]


def settings_from_env(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Each configured organic platform's settings; None when none is configured. A platform whose
    settings are wrong is left out here (its own raw table fails naming the setting): a snapshot
    missed is missed for good, so the others are still taken."""
    configured = {}
    for platform in organic_platforms():
        try:
            settings = platform.settings_from_env(env)
        except PlatformError:
            continue
        if settings is not None:
            configured[platform.name] = settings
    return configured or None


def fetch_snapshots(settings: dict[str, Any], _since: dt.date, _until: dt.date) -> Iterator[RecordSlice]:
    """One slice per configured account: its follower total now, whatever days the run covers."""
    taken_at = clock.now(dt.UTC).replace(microsecond=0)
    day = taken_at.date() - dt.timedelta(days=1)
    for platform in organic_platforms():
        if platform.name in settings and platform.follower_totals is not None:
            for account_id, records in platform.follower_totals(settings[platform.name]):
                yield account_id, _stamped(records, platform.name, account_id, day, taken_at)


def _stamped(records: Iterator[dict], platform: str, account_id: str, day: dt.date, taken_at: dt.datetime):
    for record in records:
        yield {
            "platform": platform,
            "account_id": account_id,
            "date": day.isoformat(),
            "taken_at": taken_at.strftime("%Y-%m-%d %H:%M:%S"),
            **record,
        }
