"""What the Meta Ads connector reads from the environment: the token, the ad accounts, and how to ask."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from connectors.endpoints import credentialed_url
from connectors.errors import PlatformConfigError
from connectors.meta_ads.parsing import PLATFORM
from connectors.retry import Backoff

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
LEVELS = ("campaign", "ad")
# Report jobs in flight at once: the one being read and those of the accounts after it, so that Meta produces
# an agency's reports side by side rather than one after another ("it can take up to an hour to complete" one:
# developers.facebook.com/docs/marketing-api/insights/best-practices/). Airbyte's source-facebook-marketing
# keeps up to 50 jobs in flight (streams/async_job_manager.py, MAX_JOBS_IN_QUEUE).
JOBS_IN_FLIGHT = 50
# The rolling window Meta counts an app's and a user's calls in: "Calls within one hour"
# (developers.facebook.com/docs/graph-api/overview/rate-limiting, "Platform Rate Limits"). The sandbox's is shorter.
USAGE_WINDOW_SECONDS = 3600.0


@dataclasses.dataclass(frozen=True)
class MetaAdsSettings:
    """Everything the connector needs, read from the environment at run time."""

    access_token: str = dataclasses.field(repr=False)
    account_ids: tuple[str, ...]
    graph_url: str = DEFAULT_GRAPH_URL
    level: str = "campaign"
    page_size: int = 500
    poll_interval_seconds: float = 5.0
    max_job_wait_seconds: float = 30 * 60
    max_throttle_wait_seconds: float = 15 * 60
    backoff: Backoff = Backoff()
    jobs_in_flight: int = JOBS_IN_FLIGHT
    usage_window_seconds: float = USAGE_WINDOW_SECONDS
    # The Meta app the token belongs to (META_APP_ID, META_APP_SECRET): optional; with them the token's expiry is
    # asked with the app's own access token, and `connect meta --exchange-token` can make a long-lived token.
    app_id: str = ""
    app_secret: str = dataclasses.field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> MetaAdsSettings | None:
        """None when Meta Ads is not configured at all (or its token serves only the Pages and Instagram accounts);
        an error when it is only half configured."""
        token = env.get("META_ACCESS_TOKEN", "").strip()
        accounts = env.get("META_AD_ACCOUNT_IDS", "").strip()
        if not token and not accounts:
            return None
        if not accounts and (env.get("META_PAGE_IDS", "").strip() or env.get("INSTAGRAM_ACCOUNT_IDS", "").strip()):
            return None  # the token serves the Pages and Instagram accounts only (facebook_pages/client.py, instagram/client.py)
        if not token:
            raise PlatformConfigError(
                PLATFORM,
                "META_AD_ACCOUNT_IDS is set but META_ACCESS_TOKEN is not: set a system-user access token with the ads_read permission.",
            )
        if not accounts:
            raise PlatformConfigError(
                PLATFORM,
                "META_ACCESS_TOKEN is set but META_AD_ACCOUNT_IDS is not: list the ad account ids, comma-separated (e.g. act_123,456).",
            )
        level = env.get("META_INSIGHTS_LEVEL", "campaign").strip() or "campaign"
        if level not in LEVELS:
            raise PlatformConfigError(
                PLATFORM, f"META_INSIGHTS_LEVEL={level!r} is not supported: use one of {', '.join(LEVELS)}."
            )
        return cls(
            access_token=token,
            account_ids=tuple(normalize_account_id(part) for part in accounts.split(",") if part.strip()),
            graph_url=credentialed_url(env, "META_GRAPH_URL", DEFAULT_GRAPH_URL, PLATFORM),
            level=level,
            poll_interval_seconds=float(env.get("META_POLL_INTERVAL_SECONDS") or 5.0),
            usage_window_seconds=float(env.get("META_USAGE_WINDOW_SECONDS") or USAGE_WINDOW_SECONDS),
            app_id=env.get("META_APP_ID", "").strip(),
            app_secret=env.get("META_APP_SECRET", "").strip(),
        )


def normalize_account_id(value: str) -> str:
    """'act_123', ' 123 ' → '123'. Meta's insights rows carry the bare digits."""
    digits = value.strip().removeprefix("act_")
    if not digits.isdigit():
        raise PlatformConfigError(
            PLATFORM,
            f"{value.strip()!r} in META_AD_ACCOUNT_IDS is not an ad account id: use the digits, with or without 'act_'.",
        )
    return digits
