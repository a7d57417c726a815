"""What every LinkedIn connector (ads, organization pages) shares of LinkedIn's REST API: where it
is, which version and protocol it is spoken in, how its errors read, how an access token is renewed
from a refresh token, and when the credentials expire (token introspection) and what to do before then."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Protocol

import requests

from connectors.credential_expiry import EXPIRY_WARNING_DAYS, days_left
from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError, PlatformError
from connectors.platform import CHECK_MAX_THROTTLE_WAIT_SECONDS, CheckWarning
from connectors.redaction import excerpt, remember
from connectors.retry import Backoff, HttpRetry

DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_OAUTH_URL = "https://www.linkedin.com"
DEFAULT_API_VERSION = "202610"  # LinkedIn-Version, YYYYMM; LinkedIn retires a version after about a year
API_VERSION_PATTERN = r"20\d\d(0[1-9]|1[0-2])(\.\d{2})?"  # YYYYMM, or with LinkedIn's patch suffix: 202508.02
RESTLI_PROTOCOL_VERSION = "2.0.0"
# What renews an access token (they live 60 days) without a member at hand: the app's id and secret and a refresh
# token (365 days), as `social-roi connect linkedin` stores them
# (learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens).
REFRESH_VARIABLES = ("LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET", "LINKEDIN_REFRESH_TOKEN")


def configured_api_version() -> str:
    """The LinkedIn-Version every LinkedIn client sends unless its settings name one: the
    LINKEDIN_API_VERSION setting, else the version this release was written against."""
    return os.environ.get("LINKEDIN_API_VERSION") or DEFAULT_API_VERSION


# Where LinkedIn lists its versions and their sunsets.
VERSIONS_PAGE = "learn.microsoft.com/linkedin/marketing/versioning"


def json_object(response: requests.Response) -> dict | None:
    """The answer's JSON object; None when it is none (a gateway's HTML page, a list, a cut answer)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error_detail(response: requests.Response, secrets: list[str]) -> str:
    """LinkedIn's error code and message (or the OAuth error), with any secret blanked out: the whole answer is
    scrubbed before it is cut, so that no half of a secret is left at the cut."""
    body = json_object(response)
    if body is not None:
        code = body.get("code") or body.get("error") or body.get("serviceErrorCode") or ""
        detail = f"{code}: {body.get('message') or body.get('error_description') or ''}".strip(": ")
        return excerpt(detail, 300, secrets)
    return excerpt(response.text, 200, secrets)


def refresh_settings(env: Mapping[str, str], platform: str) -> dict[str, str] | None:
    """REFRESH_VARIABLES as `env` sets them, by name; None when none is set. PlatformConfigError naming the missing
    ones when only some are: a refresh needs all three."""
    refresh = {name: env.get(name, "").strip() for name in REFRESH_VARIABLES}
    if not any(refresh.values()):
        return None
    missing = [name for name, given in refresh.items() if not given]
    if missing:
        raise PlatformConfigError(
            platform,
            f"LinkedIn refresh credentials are incomplete: {', '.join(missing)} not set. Set all of {', '.join(REFRESH_VARIABLES)} (from the LinkedIn app and its OAuth flow), or none of them and LINKEDIN_ACCESS_TOKEN.",
        )
    return refresh


@dataclasses.dataclass(frozen=True)
class RefreshedTokens:
    """What LinkedIn's token endpoint answered a refresh with: a new access token, and the refresh token to use
    next (the one sent, unless LinkedIn answered another)."""

    access_token: str = dataclasses.field(repr=False)
    refresh_token: str = dataclasses.field(repr=False)


def refresh_access_token(
    session: requests.Session,
    send: Callable[[Callable[[], requests.Response]], requests.Response],
    *,
    platform: str,
    oauth_url: str,
    client_id: str | None,
    client_secret: str | None,
    refresh_token: str | None,
    timeout_seconds: float,
    account: str | None = None,
    about: str | None = None,
    secrets: Iterable[str] = (),
) -> RefreshedTokens:
    """A new access token for the refresh token (programmatic-refresh-tokens docs: a form POST of grant_type,
    refresh_token, client_id and client_secret to /oauth/v2/accessToken, answered in JSON).

    `send` sends the request it is given with the caller's retries (throttles, server errors) and returns the
    answer; `account` and `about` ("ad account 123") say what the refresh was for, in the errors; `secrets` are the
    caller's other secrets (its access tokens), blanked from the errors with the client secret and refresh token.
    The new tokens are remembered for redaction before they are returned. PlatformAuthError naming the settings to
    renew when LinkedIn refuses; MalformedPayloadError when it answers 200 with something other than JSON."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    url = f"{oauth_url}/oauth/v2/accessToken"
    response = send(lambda: session.post(url, data=form, timeout=timeout_seconds))
    known = [secret for secret in (*secrets, refresh_token, client_secret) if secret]
    for_what = f" for {about}" if about else ""
    body: dict = {}
    if response.status_code == 200:
        parsed = json_object(response)
        if parsed is None:
            raise MalformedPayloadError(
                platform,
                f"LinkedIn answered the token refresh request{for_what} with something that is not a JSON object: {excerpt(response.text, 200, known)!r}",
                account,
            )
        body = parsed
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise PlatformAuthError(
            platform,
            f"LinkedIn refused to refresh the access token{for_what} (HTTP {response.status_code} {error_detail(response, known)}). Create a new refresh token through the app's OAuth flow (they live 365 days) and set LINKEDIN_REFRESH_TOKEN, with LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET of the same app.",
            account,
        )
    renewed = body.get("refresh_token")
    next_refresh_token = renewed if isinstance(renewed, str) and renewed else refresh_token or ""
    remember(token, next_refresh_token)  # new secrets of this run: scrubbed wherever they go
    logging.getLogger(f"connectors.{platform}").info("Refreshed the LinkedIn access token")
    return RefreshedTokens(access_token=token, refresh_token=next_refresh_token)


# --- when the credentials expire ---------------------------------------------------------------------------------


class LinkedInCredentials(Protocol):
    """What the expiry warnings read of a LinkedIn connector's settings (LinkedInAdsSettings, LinkedInPagesSettings)."""

    @property
    def access_token(self) -> str | None: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def client_secret(self) -> str | None: ...
    @property
    def refresh_token(self) -> str | None: ...
    @property
    def can_refresh(self) -> bool: ...
    @property
    def oauth_url(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def backoff(self) -> Backoff: ...
    @property
    def max_throttle_wait_seconds(self) -> float: ...


@dataclasses.dataclass(frozen=True)
class TokenIntrospection:
    """What LinkedIn's token introspection said of a token: its status ("active", "expired", "revoked"; "inactive"
    when LinkedIn said only that it is not active, as it does for a token of another app; "unknown" when it answered
    400, knowing no such token for the app's client id) and when it expires (None when it did not say)."""

    status: str
    expires_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"


def introspect_token(
    session: requests.Session,
    send: Callable[[Callable[[], requests.Response]], requests.Response],
    *,
    platform: str,
    oauth_url: str,
    client_id: str,
    client_secret: str,
    token: str,
    timeout_seconds: float,
    setting: str,
) -> TokenIntrospection:
    """The status and expiry of `token` (the value of `setting`), from LinkedIn's token introspection
    (learn.microsoft.com/linkedin/shared/authentication/token-introspection): a form POST of client_id, client_secret
    and token to /oauth/v2/introspectToken, answered 200 with {"active", "status", "expires_at" (epoch seconds),
    "client_id", "authorized_at", "created_at", "scope", "auth_type"}; 400 for an invalid client id or token, 401 for
    an invalid client secret.

    `send` sends the request with the caller's retries (throttles, server errors). PlatformAuthError naming the
    setting to fix when LinkedIn refuses the client secret; MalformedPayloadError when a 200 is not the answer above;
    PlatformError for any other refusal."""
    form = {"client_id": client_id, "client_secret": client_secret, "token": token}
    url = f"{oauth_url}/oauth/v2/introspectToken"
    response = send(lambda: session.post(url, data=form, timeout=timeout_seconds))
    known = [token, client_secret]
    if response.status_code == 400:
        return TokenIntrospection("unknown")
    if response.status_code == 401:
        raise PlatformAuthError(
            platform,
            f"LinkedIn refused LINKEDIN_CLIENT_SECRET when asked when {setting} expires (401 {error_detail(response, known)}). Copy the client secret of the app LINKEDIN_CLIENT_ID names (Developer Portal → the app → Auth) into LINKEDIN_CLIENT_SECRET.",
        )
    if response.status_code != 200:
        raise PlatformError(
            platform,
            f"LinkedIn would not say when {setting} expires (HTTP {response.status_code} {error_detail(response, known)}).",
        )
    body = json_object(response)
    active = body.get("active") if body is not None else None
    if body is None or not isinstance(active, bool):
        raise MalformedPayloadError(
            platform,
            f'LinkedIn answered the introspection of {setting} without its "active" flag: {excerpt(response.text, 200, known)!r}',
        )
    status = body.get("status")
    expires_at = body.get("expires_at")
    try:
        when = (
            dt.datetime.fromtimestamp(expires_at, dt.UTC)
            if isinstance(expires_at, int | float) and not isinstance(expires_at, bool)
            else None
        )
    except (OverflowError, OSError, ValueError):
        raise MalformedPayloadError(
            platform, f"LinkedIn answered the introspection of {setting} with an expiry that is no time: {expires_at!r}"
        ) from None
    if active:
        return TokenIntrospection("active", when)
    return TokenIntrospection(status if status in ("expired", "revoked") else "inactive", when)


def credential_warnings(
    settings: LinkedInCredentials, platform: str, sleep: Callable[[float], None] = time.sleep
) -> Iterator[CheckWarning]:
    """What needs doing about the LinkedIn credentials (Platform.credential_warnings of both LinkedIn connectors).

    With refresh settings, the refresh token: it lives 365 days from the sign-in and a refresh does not extend it
    (programmatic-refresh-tokens docs), so a year on every sync fails unless the member signs in again; warned of
    within EXPIRY_WARNING_DAYS, and when LinkedIn says it is no longer active. With an access token and the app's
    id and secret but no refresh token, the access token (60 days), within EXPIRY_WARNING_DAYS; an inactive one is
    the check's failure (401), not a warning. Without the app's id and secret LinkedIn says nothing: introspection
    is asked with them. Messages name settings, the day and the fix, never a secret."""
    setting = "LINKEDIN_REFRESH_TOKEN" if settings.can_refresh else "LINKEDIN_ACCESS_TOKEN"
    token = settings.refresh_token if settings.can_refresh else settings.access_token
    if not (settings.client_id and settings.client_secret and token):
        return
    session = requests.Session()
    # One cheap call, in `check` and before every sync: a throttle is waited out no longer than a check waits.
    patience = min(settings.max_throttle_wait_seconds, CHECK_MAX_THROTTLE_WAIT_SECONDS)
    retry = HttpRetry(platform, "LinkedIn", settings.backoff, patience, sleep)
    try:
        found = introspect_token(
            session,
            lambda request: retry.send(
                request,
                f"the introspection of {setting} (at {settings.oauth_url})",
                detail=lambda response: error_detail(response, [token, settings.client_secret or ""]),
            ),
            platform=platform,
            oauth_url=settings.oauth_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token=token,
            timeout_seconds=settings.timeout_seconds,
            setting=setting,
        )
    finally:
        session.close()
    sign_in = f"`social-roi connect linkedin --client-id {settings.client_id}`"
    if setting == "LINKEDIN_REFRESH_TOKEN":
        yield from _refresh_token_warnings(found, sign_in)
    else:
        yield from _access_token_warnings(found, sign_in)


def _refresh_token_warnings(found: TokenIntrospection, sign_in: str) -> Iterator[CheckWarning]:
    fix = f"Sign in again: {sign_in} keeps a new refresh token, good for 365 days."
    if found.status == "unknown":
        # A 400: LinkedIn's page promises "all tokens" but names only access tokens in its request fields, so a 400
        # may mean refresh tokens are not introspected at all. Nothing is said: a refresh token that no longer
        # renews fails the check's own calls, with their fix.
        return
    if not found.active:
        said = {
            "inactive": "says LINKEDIN_REFRESH_TOKEN is not active for the app LINKEDIN_CLIENT_ID names",
        }.get(found.status, f"says LINKEDIN_REFRESH_TOKEN is {found.status}")
        yield CheckWarning(
            f"LinkedIn {said}: no access token can be renewed with it, so every LinkedIn sync fails once the access token in hand expires (at once, if it has). {fix}"
        )
        return
    if found.expires_at is None or (days := days_left(found.expires_at)) > EXPIRY_WARNING_DAYS:
        return
    yield CheckWarning(
        f"LINKEDIN_REFRESH_TOKEN expires on {found.expires_at:%Y-%m-%d %H:%M} UTC (in {max(days, 0):.0f} days), and LinkedIn does not extend it when it renews an access token: every LinkedIn sync fails from then on. {fix}"
    )


def _access_token_warnings(found: TokenIntrospection, sign_in: str) -> Iterator[CheckWarning]:
    if not found.active or found.expires_at is None or (days := days_left(found.expires_at)) > EXPIRY_WARNING_DAYS:
        return
    yield CheckWarning(
        f"LINKEDIN_ACCESS_TOKEN expires on {found.expires_at:%Y-%m-%d %H:%M} UTC (in {max(days, 0):.0f} days), and nothing renews it: every LinkedIn sync fails from then on. Run {sign_in} to sign in: it keeps a refresh token from which the pipeline renews access tokens itself, for a year."
    )
