"""Spotlight's reporting API over requests: one account's campaign days, a page at a time.

GET {api}/v1/accounts/{account_id}/campaign_days?since=YYYY-MM-DD&until=YYYY-MM-DD[&cursor=...]
with `Authorization: Bearer <token>` answers {"data": [rows], "next_cursor": str | null}. A 401 is a
token the platform no longer takes; a 403 an account the token cannot read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator, Mapping

import requests

from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError
from connectors.platform import AccessCheck, RecordSlice, check_slices, fetch_slices

PLATFORM = "spotlight"
RAW_TABLE = "spotlight_campaign_days"
DEFAULT_API_URL = "https://api.spotlight.example"
RAW_COLUMNS = {
    "account_id": "VARCHAR",
    "date": "DATE",
    "campaign_id": "VARCHAR",
    "campaign_name": "VARCHAR",
    "currency": "VARCHAR",
    "spend": "DECIMAL(18,2)",
    "impressions": "BIGINT",
    "clicks": "BIGINT",
    "purchases": "BIGINT",
    "purchase_value": "DECIMAL(18,2)",
    "raw_row": "JSON",
}


@dataclasses.dataclass(frozen=True)
class SpotlightSettings:
    access_token: str = dataclasses.field(repr=False)
    account_ids: tuple[str, ...]
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SpotlightSettings | None:
        token = (env.get("SPOTLIGHT_ACCESS_TOKEN") or "").strip()
        accounts = tuple(part.strip() for part in (env.get("SPOTLIGHT_ACCOUNT_IDS") or "").split(",") if part.strip())
        if not token and not accounts:
            return None
        if not token or not accounts:
            missing = "SPOTLIGHT_ACCESS_TOKEN" if not token else "SPOTLIGHT_ACCOUNT_IDS"
            raise PlatformConfigError(
                PLATFORM, f"{missing} is not set: Spotlight needs both a token and its account ids."
            )
        return cls(token, accounts, (env.get("SPOTLIGHT_API_URL") or DEFAULT_API_URL).rstrip("/"))


class SpotlightClient:
    def __init__(self, settings: SpotlightSettings):
        self.settings = settings
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {settings.access_token}"

    def close(self) -> None:
        self._session.close()

    def campaign_days(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        cursor = None
        while True:
            params = {"since": since.isoformat(), "until": until.isoformat(), **({"cursor": cursor} if cursor else {})}
            page = self._get(account_id, "/campaign_days", params)
            rows = page.get("data")
            if not isinstance(rows, list):
                raise MalformedPayloadError(
                    PLATFORM, f"Spotlight sent a page without a data list for account {account_id}.", account_id
                )
            for row in rows:
                yield {
                    **{column: row.get(column) for column in RAW_COLUMNS if column != "raw_row"},
                    "account_id": account_id,
                    "raw_row": row,
                }
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def check_account(self, account_id: str) -> None:
        self._get(account_id, "", {})

    def _get(self, account_id: str, path: str, params: dict) -> dict:
        response = self._session.get(
            f"{self.settings.api_url}/v1/accounts/{account_id}{path}", params=params, timeout=30
        )
        if response.status_code in (401, 403):
            raise PlatformAuthError(
                PLATFORM,
                f"Spotlight refused account {account_id} (HTTP {response.status_code}): renew SPOTLIGHT_ACCESS_TOKEN or give it access to the account.",
                account_id,
            )
        response.raise_for_status()
        return response.json()


def fetch_window(settings: SpotlightSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    return fetch_slices(SpotlightClient(settings), settings.account_ids, SpotlightClient.campaign_days, since, until)


def check_access(settings: SpotlightSettings) -> Iterator[AccessCheck]:
    return check_slices(lambda: SpotlightClient(settings), settings.account_ids, SpotlightClient.check_account)
