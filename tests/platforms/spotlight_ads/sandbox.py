"""Spotlight's reporting API on the sandbox's port, for the test-only platform (see client.py for the
wire format). Its advertiser runs two NOK campaigns every day before today, each spending, being
clicked and selling from its own seeded stream: the same figures on every run."""

from __future__ import annotations

import datetime as dt
import re

from connectors.sandbox.advertiser import seeded_random
from connectors.sandbox.http import Response

ACCOUNT_ID = "sp-1001"
TOKEN = "spotlight-sandbox-token"
PAGE_SIZE = 5  # small, so that a week's sync crosses pages
CAMPAIGNS = {"sp-c1": "Vårsalg på Spotlight", "sp-c2": "Spotlight – Merkevare"}


def campaign_days(seed: int, since: dt.date, until: dt.date, today: dt.date) -> list[dict]:
    """Every campaign's day in since..until (never today or later), with its figures."""
    rows, day = [], since
    while day <= min(until, today - dt.timedelta(days=1)):
        for campaign_id, name in CAMPAIGNS.items():
            rng = seeded_random("spotlight", seed, campaign_id, day.isoformat())
            clicks = rng.randint(20, 60)
            purchases = rng.randint(0, 3)
            rows.append(
                {
                    "date": day.isoformat(),
                    "campaign_id": campaign_id,
                    "campaign_name": name,
                    "currency": "NOK",
                    "spend": f"{rng.uniform(200, 600):.2f}",
                    "impressions": clicks * rng.randint(40, 90),
                    "clicks": clicks,
                    "purchases": purchases,
                    "purchase_value": f"{purchases * 499:.2f}",
                }
            )
        day += dt.timedelta(days=1)
    return rows


class SpotlightApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox

    def routes(self):
        return [
            ("GET", re.compile(r"^/spotlight/v1/accounts/([^/]+)/campaign_days$"), self.campaign_days),
            ("GET", re.compile(r"^/spotlight/v1/accounts/([^/]+)$"), self.account),
        ]

    def _refusal(self, request, account_id: str) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response.json(401, {"error": "invalid token"})
        if account_id != ACCOUNT_ID:
            return Response.json(403, {"error": f"no access to account {account_id}"})
        return None

    def account(self, request, match):
        return self._refusal(request, match.group(1)) or Response.json(200, {"id": ACCOUNT_ID, "currency": "NOK"})

    def campaign_days(self, request, match):
        refusal = self._refusal(request, match.group(1))
        if refusal:
            return refusal
        advertiser = self.sandbox.advertiser
        since, until = (dt.date.fromisoformat(request.query[name]) for name in ("since", "until"))
        rows = campaign_days(advertiser.seed, since, until, advertiser.today)
        start = int(request.query.get("cursor") or 0)
        following = start + PAGE_SIZE
        return Response.json(
            200, {"data": rows[start:following], "next_cursor": str(following) if following < len(rows) else None}
        )


API = SpotlightApi


def environment(sandbox) -> dict[str, str]:
    return {
        "SPOTLIGHT_ACCESS_TOKEN": TOKEN,
        "SPOTLIGHT_ACCOUNT_IDS": ACCOUNT_ID,
        "SPOTLIGHT_API_URL": f"{sandbox.base_url}/spotlight",
    }
