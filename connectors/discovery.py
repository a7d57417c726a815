"""What `social-roi connect` finds behind a platform's credentials: every account, Page, Instagram
account, organization and property they can see, with the setting that takes its id.

A `Connection` is one login (a Meta token serves three platforms, a LinkedIn member token two, a
Google service account one): its `discover` lists what the credentials reach with the platform's
own listing calls (Meta's /me/adaccounts, LinkedIn's adAccountUsers, GA4's accountSummaries) and
never writes anything. Whether a sync may read each one is not decided here: pipelines/connect.py
runs each platform's `check` on it, so that `connect` and `check` say the same words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from connectors.platform import CheckWarning


@dataclasses.dataclass(frozen=True)
class Found:
    """One account (Page, Instagram account, organization, property) the credentials can see."""

    platform: str  # the Platform whose setting lists it: "meta_ads", "facebook_pages", "instagram", ...
    setting: str  # the setting that takes its id: "META_AD_ACCOUNT_IDS", "META_PAGE_IDS", ...
    id: str  # as that setting takes it: "act_123", "1234", "urn:li:sponsoredAccount:5", "properties/123"
    name: str
    kind: str  # what a user calls it: "ad account", "Page", "Instagram account", "organization", "property"
    currency: str | None = None
    time_zone: str | None = None
    # What it hangs off, where that is how a user finds it: an Instagram account's Page, a property's
    # GA4 account.
    parent: str | None = None
    # Known from the listing itself, before any check: why a sync could not use it, naming the missing
    # permission or role and where to grant it (a Page whose tasks lack ANALYZE). None: the check decides.
    problem: str | None = None


@dataclasses.dataclass(frozen=True)
class Discovery:
    """Everything one login can see, and what needs doing about the login itself."""

    found: tuple[Found, ...]
    # The token expires within 14 days, a long-lived token is better replaced by a system user's: said by
    # `connect` and by `check` alike.
    warnings: tuple[CheckWarning, ...] = ()


@dataclasses.dataclass(frozen=True)
class Connection:
    """One login and the platforms it serves: `social-roi connect <name>`."""

    name: str  # "meta", "linkedin", "ga4"
    platforms: tuple[str, ...]  # the Platform names whose settings it fills
    # Which settings must be set for `discover` to run, for the message when they are not.
    credentials_hint: str
    # Lists what the credentials in `env` can see; raises PlatformError (naming the setting to fix)
    # when they cannot be used at all.
    discover: Callable[[Mapping[str, str]], Discovery]
    # Whether the credentials `discover` needs are in `env` at all.
    configured: Callable[[Mapping[str, str]], bool]
