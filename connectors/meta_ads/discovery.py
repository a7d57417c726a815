"""What a Meta token can see, for `social-roi connect meta`: its ad accounts, Facebook Pages and the Instagram
professional accounts connected to them, and what needs doing about the token itself.

One login serves three platforms (connectors/discovery.py): META_ACCESS_TOKEN lists the ad accounts
(`GET /me/adaccounts`), the Page token (META_PAGE_ACCESS_TOKEN, else META_ACCESS_TOKEN, as the Pages and Instagram
connectors read it) lists the Pages with the tasks its user holds on each and their Instagram accounts
(`GET /me/accounts?fields=...,tasks,instagram_business_account{...}`), each listing followed through every page by
the SDK's Cursor. A Page token itself is never asked for: a Page is read with the token the settings hold.

`token_warnings` asks Graph's `debug_token` when a token expires: within 14 days it says when and how to renew;
a token that expires at all (a user's) is better replaced by a system user's that does not. With META_APP_ID and
META_APP_SECRET it asks with the app's own access token ("{app-id}|{app-secret}"), which may inspect any token of
the app; without them with the token itself, as Meta's guides run it (`input_token=T&access_token=T`).

`exchange_for_long_lived` trades a short-lived user token for one of about 60 days (`grant_type=fb_exchange_token`).

Messages name the setting and the fix and never a token or the App Secret (connectors/redaction.py): only Graph's own
message is quoted, never the SDK's exception, whose text holds the request.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, cast

import requests
from facebook_business.adobjects.user import User
from facebook_business.api import Cursor
from facebook_business.exceptions import FacebookRequestError

from connectors.credential_expiry import EXPIRY_WARNING_DAYS, days_left
from connectors.discovery import Connection, Discovery, Found
from connectors.endpoints import credentialed_url
from connectors.errors import (
    PlatformAuthError,
    PlatformConfigError,
    PlatformError,
    PlatformThrottledError,
    TransientPlatformError,
)
from connectors.graph import EXPIRED_TOKEN_CODE, PERMISSION_CODES, THROTTLE_CODES, TRANSIENT_CODES, graph_api
from connectors.graph.organic import TOKEN_SETTINGS
from connectors.meta_ads.parsing import PLATFORM
from connectors.meta_ads.settings import DEFAULT_GRAPH_URL, MetaAdsSettings
from connectors.platform import CheckWarning
from connectors.redaction import remember, scrub

if TYPE_CHECKING:
    from connectors.facebook_pages.client import FacebookPagesSettings
    from connectors.instagram.client import InstagramSettings

log = logging.getLogger(__name__)

CONNECTION_NAME = "meta"
# The token the Pages and Instagram sources sync with, as a warning names it.
PAGE_TOKEN_LABEL = "META_PAGE_ACCESS_TOKEN (else META_ACCESS_TOKEN)"
LISTING_PAGE_SIZE = 100
AD_ACCOUNT_FIELDS = ["id", "account_id", "name", "currency", "timezone_name", "account_status"]
# The Page task that reading a Page's insights needs (developers.facebook.com/blog/post/2022/11/08/getting-started-
# with-page-insights-api/: "A Facebook page in which you can perform the ANALYZE task").
ANALYZE_TASK = "ANALYZE"
PAGE_FIELDS = ["id", "name", "tasks", "instagram_business_account{id,username,name}"]
# A Page token's /me is its Page, which has no `accounts` edge: Graph answers code 100 "(#100) Tried accessing
# nonexisting field (accounts) on node type (Page)" (spring-projects/spring-social-facebook#163, sns-sdks/
# python-facebook#219). Such a token is read as the one Page it is for, through /me with these fields (no `tasks`:
# a Page has none of its own). Discovery never asks for `access_token`: it needs no Page's token.
PAGE_NODE_TYPE = "on node type (Page)"
PAGE_TOKEN_PAGE_FIELDS = "id,name,instagram_business_account{id,username,name}"
# What each source reads with (README, the settings table), and /me/accounts's own permission to list the Pages
# ("Needs a User access token with pages_show_list": developers.facebook.com/docs/graph-api/reference/user/accounts/).
PERMISSIONS = (
    "ads_read (Meta Ads); pages_read_engagement and read_insights (Facebook Pages); instagram_basic and "
    "instagram_manage_insights (Instagram); and pages_show_list, for `connect` to list the Pages"
)
# Where a system user's token is made, and with what.
GENERATE_SYSTEM_USER_TOKEN = (
    "Meta Business Settings → Users → System users → (add or choose one, assign it the ad accounts and Pages) → "
    f'Generate new token, expiry "Never", with the permissions {PERMISSIONS}'
)
SYSTEM_USER_TOKEN_ADVICE = f"Use a system user's token that does not expire instead: {GENERATE_SYSTEM_USER_TOKEN}."
# debug_token answers 0 for a token that never expires, and for a system user's data access that does not either
# (developers.facebook.com/docs/whatsapp/permissions, "Checking for granted permissions": "expires_at": 0).
NEVER = 0


def discover(env: Mapping[str, str]) -> Discovery:
    """Every ad account, Page and Instagram account the Meta token(s) in `env` can see, and the tokens' warnings.
    An unusable token (invalid, expired, lacking the listing's permission) raises a PlatformError naming its setting."""
    graph_url = credentialed_url(env, "META_GRAPH_URL", DEFAULT_GRAPH_URL, PLATFORM)
    ads_token = env.get("META_ACCESS_TOKEN", "").strip()
    page_setting = next((name for name in TOKEN_SETTINGS if env.get(name, "").strip()), None)
    if not ads_token and page_setting is None:
        raise PlatformConfigError(PLATFORM, f"Set {CONNECTION.credentials_hint} to connect Meta.")
    app_id, app_secret = env.get("META_APP_ID", "").strip(), env.get("META_APP_SECRET", "").strip()
    found: list[Found] = []
    warnings: list[CheckWarning] = []
    if ads_token:
        found.extend(_ad_accounts(ads_token, graph_url))
        warnings.extend(token_warnings(ads_token, graph_url, "META_ACCESS_TOKEN", app_id, app_secret))
    if page_setting is not None:
        page_token = env[page_setting].strip()
        try:
            found.extend(_pages_and_instagram_accounts(page_token, graph_url, page_setting))
        except PlatformError as refused:
            if not ads_token:
                raise
            # The ad accounts were listed: they stay, and the Pages' refusal is said (as LinkedIn's discovery keeps
            # the listing that answered, connectors/linkedin_ads/discovery.py).
            warnings.append(CheckWarning(f"{refused} Until then, social-roi connect cannot list your Facebook Pages."))
        if page_token != ads_token:
            warnings.extend(token_warnings(page_token, graph_url, page_setting, app_id, app_secret))
    return Discovery(found=tuple(found), warnings=tuple(warnings))


def configured(env: Mapping[str, str]) -> bool:
    """Whether `env` holds a Meta token `discover` can list with."""
    return any(env.get(name, "").strip() for name in ("META_ACCESS_TOKEN", *TOKEN_SETTINGS))


def _ad_accounts(token: str, graph_url: str) -> Iterator[Found]:
    """The token's ad accounts, from every page of /me/adaccounts (the SDK's Cursor follows `paging.next`)."""
    api = graph_api(token, graph_url)
    try:
        me = User(fbid="me", api=api)
        listing = _listed(
            lambda: me.get_ad_accounts(fields=AD_ACCOUNT_FIELDS, params={"limit": LISTING_PAGE_SIZE}),
            "the ad accounts",
            "META_ACCESS_TOKEN",
        )
        accounts = [account.export_all_data() for account in listing]
    finally:
        api._session.requests.close()
    for account in accounts:
        yield Found(
            platform=PLATFORM,
            setting="META_AD_ACCOUNT_IDS",
            id=str(account.get("id") or f"act_{account.get('account_id')}"),
            name=str(account.get("name") or ""),
            kind="ad account",
            currency=account.get("currency"),
            time_zone=account.get("timezone_name"),
        )


def _pages_and_instagram_accounts(token: str, graph_url: str, setting: str) -> Iterator[Found]:
    """The Pages the token's user holds (every page of /me/accounts), each followed by its Instagram account."""
    api = graph_api(token, graph_url)
    try:
        me = User(fbid="me", api=api)
        listing = _listed(
            lambda: me.get_accounts(fields=PAGE_FIELDS, params={"limit": LISTING_PAGE_SIZE}),
            "the Facebook Pages",
            setting,
            for_a_page_token=lambda: [api.call("GET", ("me",), params={"fields": PAGE_TOKEN_PAGE_FIELDS}).json()],
        )
        pages = [page if isinstance(page, Mapping) else page.export_all_data() for page in listing]
    finally:
        api._session.requests.close()
    # Imported here, not above: facebook_pages/__init__.py imports this module for its credential warnings.
    from connectors.facebook_pages.client import PAGE_TASK_ADVICE

    for page in pages:
        name = str(page.get("name") or "")
        tasks = page.get("tasks")
        problem = None
        if isinstance(tasks, list) and ANALYZE_TASK not in tasks:
            # Known from the listing: the check would be refused with Meta's 1/2853006 (graph/organic.py).
            problem = (
                f"the token's user holds the tasks {', '.join(tasks) or 'none'} on this Page, not {ANALYZE_TASK}, "
                f"which reading its insights needs. {PAGE_TASK_ADVICE}"
            )
        yield Found("facebook_pages", "META_PAGE_IDS", str(page["id"]), name, "Page", problem=problem)
        instagram = page.get("instagram_business_account")
        if isinstance(instagram, Mapping) and instagram.get("id"):
            username = instagram.get("username")
            yield Found(
                "instagram",
                "INSTAGRAM_ACCOUNT_IDS",
                str(instagram["id"]),
                f"@{username}" if username else str(instagram.get("name") or ""),
                "Instagram account",
                parent=name,
            )


def _listed(
    listing: Callable[[], object],
    what: str,
    setting: str,
    for_a_page_token: Callable[[], Iterable] | None = None,
) -> Iterator:
    """Every object of the SDK Cursor `listing()` returns (it reads the first page at once, the others as they are
    reached), Graph's refusals as our errors naming `setting` and the fix. A listing a Page token cannot make (see
    PAGE_NODE_TYPE) is `for_a_page_token()` instead, when given."""
    if for_a_page_token is not None:
        try:
            yield from _listed(listing, what, setting)
            return
        except _PageTokenListing:
            pass
        yield from _listed(for_a_page_token, what, setting)
        return
    try:
        with warnings.catch_warnings():
            # The SDK checks a field list against its own, which lacks the fields /me/accounts adds to each Page
            # (`tasks`) and field expansion (`instagram_business_account{...}`): Graph serves both.
            warnings.filterwarnings("ignore", message=".* does not allow field ")
            yield from cast(Cursor, listing())
        return
    except FacebookRequestError as error:
        problem = _listing_error(error, what, setting)
        if error.api_error_code() == 100 and PAGE_NODE_TYPE in (error.api_error_message() or ""):
            problem = _PageTokenListing()
    except requests.RequestException as error:
        problem = TransientPlatformError(
            PLATFORM, f"Could not reach Meta to list {what} ({type(error).__name__}). Rerun `connect` later."
        )
    # Raised outside the except blocks: the SDK's exception (which carries the request, token included) is not chained.
    raise problem


class _PageTokenListing(Exception):
    """A listing refused because the token is a Page's (see PAGE_NODE_TYPE)."""


def _listing_error(error: FacebookRequestError, what: str, setting: str) -> PlatformError:
    code = error.api_error_code()
    message = error.api_error_message() or f"HTTP {error.http_status()}"
    if code == EXPIRED_TOKEN_CODE:
        return PlatformAuthError(
            PLATFORM,
            f"Meta rejected {setting} while listing {what} (code 190: {message}): it is invalid, expired or revoked. "
            f"Make a new one ({GENERATE_SYSTEM_USER_TOKEN}) and set {setting} to it.",
        )
    if code in PERMISSION_CODES:
        return PlatformAuthError(
            PLATFORM,
            f"{setting} may not list {what} (code {code}: {message}). Make its token again with every permission "
            f"it needs ({GENERATE_SYSTEM_USER_TOKEN}) and set {setting} to it.",
        )
    if code in THROTTLE_CODES:
        return PlatformThrottledError(
            PLATFORM, f"Meta throttled the listing of {what} (code {code}: {message}). Rerun `connect` later."
        )
    if code in TRANSIENT_CODES or (error.http_status() or 0) >= 500:
        return TransientPlatformError(
            PLATFORM, f"Meta failed to list {what} (code {code}: {message}). Rerun `connect` later."
        )
    return PlatformConfigError(PLATFORM, f"Meta refused to list {what} with {setting} (code {code}: {message}).")


def token_warnings(
    token: str,
    graph_url: str = DEFAULT_GRAPH_URL,
    setting: str = "META_ACCESS_TOKEN",
    app_id: str = "",
    app_secret: str = "",
) -> Iterator[CheckWarning]:
    """What needs doing about the token in `setting`, from debug_token: a token expiring within 14 days (when, and
    how to renew it), and any token that expires at all (a system user's that does not is better). Nothing for a
    token that never expires; a token Meta says is invalid is the check's failure, not a warning."""
    caller = f"{app_id}|{app_secret}" if app_id and app_secret else token
    api = graph_api(caller, graph_url)
    try:
        data = (api.call("GET", ("debug_token",), params={"input_token": token}).json() or {}).get("data") or {}
    except FacebookRequestError as error:
        if caller == token and error.api_error_code() == 100:
            # Meta may refuse a token inspecting itself ("(#100) You must provide an app access token...", as
            # reported for system users' tokens in github.com/logly/mureo/pull/744): only the app's token can ask.
            log.info("Meta would not say when %s expires without the app's token", setting)
            yield CheckWarning(
                f"Meta would not say when {setting} expires without the app's own token (code 100): set META_APP_ID "
                "and META_APP_SECRET (App Dashboard → App settings → Basic) so that the check can warn before it does."
            )
            return
        yield CheckWarning(
            scrub(
                f"Could not ask Meta when {setting} expires (debug_token answered code {error.api_error_code()}: "
                f"{error.api_error_message() or error.http_status()}).",
                extra=(token, app_secret),
            )
        )
        return
    except requests.RequestException as error:
        yield CheckWarning(f"Could not ask Meta when {setting} expires ({type(error).__name__}).")
        return
    finally:
        api._session.requests.close()
    yield from _expiry_warnings(data, setting)


def _expiry_warnings(data: Mapping, setting: str) -> Iterator[CheckWarning]:
    if not data.get("is_valid", False):
        return  # the check fails it, naming the fix; a warning would say it twice
    soonest = [
        (int(value), what)
        for value, what in (
            (data.get("expires_at"), "expires"),
            (data.get("data_access_expires_at"), "loses data access"),
        )
        if isinstance(value, int | float) and value != NEVER
    ]
    if not soonest:
        return
    expires_at, what = min(soonest)
    when = dt.datetime.fromtimestamp(expires_at, dt.UTC)
    days = days_left(when)
    if days <= EXPIRY_WARNING_DAYS:
        yield CheckWarning(
            f"{setting} {what} on {when:%Y-%m-%d %H:%M} UTC (in {max(days, 0):.0f} days); every sync on it fails from "
            "then on. Renew it before then: get a new user token (Graph API Explorer, or Meta Business Suite) and run "
            f"`social-roi connect meta --exchange-token` for one that lasts about 60 days. {SYSTEM_USER_TOKEN_ADVICE}"
        )
    else:
        yield CheckWarning(
            f"{setting} is a {str(data.get('type') or 'user').lower().replace('_', ' ')} token that {what} on "
            f"{when:%Y-%m-%d} (in {days:.0f} days), when every sync on it stops. {SYSTEM_USER_TOKEN_ADVICE}"
        )


def ad_token_warnings(settings: MetaAdsSettings) -> Iterator[CheckWarning]:
    """Meta Ads' credential warnings (Platform.credential_warnings): of META_ACCESS_TOKEN, asked with the app's token
    when META_APP_ID and META_APP_SECRET are set."""
    return token_warnings(
        settings.access_token, settings.graph_url, "META_ACCESS_TOKEN", settings.app_id, settings.app_secret
    )


def page_token_warnings(settings: FacebookPagesSettings | InstagramSettings) -> Iterator[CheckWarning]:
    """The Facebook Pages' and Instagram's credential warnings: of the token they sync with."""
    return token_warnings(settings.access_token, settings.graph_url, PAGE_TOKEN_LABEL)


def exchange_for_long_lived(env: Mapping[str, str], short_lived_token: str | None = None) -> tuple[str, int]:
    """(a long-lived user token, the seconds it lasts: about 60 days) for `short_lived_token` (by default
    META_ACCESS_TOKEN), through Graph's `oauth/access_token?grant_type=fb_exchange_token`
    (developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived). Needs META_APP_ID and
    META_APP_SECRET, of the app the token was made for. The new token is remembered as a secret (connectors/
    redaction.py) before it leaves this function."""
    graph_url = credentialed_url(env, "META_GRAPH_URL", DEFAULT_GRAPH_URL, PLATFORM)
    app_id, app_secret = env.get("META_APP_ID", "").strip(), env.get("META_APP_SECRET", "").strip()
    token = (short_lived_token if short_lived_token is not None else env.get("META_ACCESS_TOKEN", "")).strip()
    missing = [name for name, value in (("META_APP_ID", app_id), ("META_APP_SECRET", app_secret)) if not value]
    if missing:
        raise PlatformConfigError(
            PLATFORM,
            f"Exchanging a token needs {' and '.join(missing)}: the App ID and App Secret of the Meta app the token was "
            "made for (App Dashboard → App settings → Basic).",
        )
    if not token:
        raise PlatformConfigError(PLATFORM, "There is no token to exchange: set META_ACCESS_TOKEN to a user token.")

    def failure(text: str) -> str:
        return scrub(text, extra=(token, app_secret))

    api = graph_api(None, graph_url)  # the app's credentials are the exchange's own parameters
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": app_id,
        "client_secret": app_secret,
        "fb_exchange_token": token,
    }
    try:
        answer = api.call("GET", ("oauth", "access_token"), params=params).json() or {}
        problem = None
    except FacebookRequestError as error:
        problem = _exchange_error(error, failure)
    except requests.RequestException as error:
        problem = TransientPlatformError(
            PLATFORM, f"Could not reach Meta to exchange the token ({type(error).__name__}). Rerun later."
        )
    finally:
        api._session.requests.close()
    if problem is not None:
        raise problem
    long_lived = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(long_lived, str) or not long_lived:
        raise PlatformError(
            PLATFORM, "Meta answered the token exchange without a token. Rerun; if it persists, report it."
        )
    remember(long_lived)
    return long_lived, int(answer.get("expires_in") or 0)


def _exchange_error(error: FacebookRequestError, failure: Callable[[str], str]) -> PlatformError:
    code = error.api_error_code()
    said = f"code {code}: {error.api_error_message() or error.http_status()}"
    if code == 1 and "client secret" in (error.api_error_message() or ""):
        return PlatformAuthError(
            PLATFORM,
            failure(
                f"Meta refused META_APP_SECRET for the app META_APP_ID names ({said}). Copy the App Secret from "
                "App Dashboard → App settings → Basic into META_APP_SECRET."
            ),
        )
    if code == 101:
        return PlatformConfigError(
            PLATFORM,
            failure(
                f"Meta does not know the app META_APP_ID names ({said}). Copy the App ID from App Dashboard → App settings → Basic."
            ),
        )
    if code == EXPIRED_TOKEN_CODE:
        return PlatformAuthError(
            PLATFORM,
            failure(
                f"Meta would not exchange the token: it is invalid, expired, or made for another app ({said}). Get a "
                "new user token for this app (Graph API Explorer) and exchange it at once: a short-lived one lasts an hour or two."
            ),
        )
    if code in TRANSIENT_CODES or code in THROTTLE_CODES or (error.http_status() or 0) >= 500:
        return TransientPlatformError(
            PLATFORM, failure(f"Meta could not exchange the token now ({said}). Rerun later.")
        )
    return PlatformConfigError(PLATFORM, failure(f"Meta refused to exchange the token ({said})."))


CONNECTION = Connection(
    name=CONNECTION_NAME,
    # The Platform names (connectors/registry.py): Meta Ads' is "meta".
    platforms=(PLATFORM, "facebook_pages", "instagram"),
    credentials_hint="META_ACCESS_TOKEN (and META_PAGE_ACCESS_TOKEN, when the Pages and Instagram accounts use another token)",
    discover=discover,
    configured=configured,
)
