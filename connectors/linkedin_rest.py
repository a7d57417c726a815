"""What every LinkedIn connector (ads, organization pages) shares of LinkedIn's REST API: where it
is, which version and protocol it is spoken in, how its errors read, and how an access token is renewed
from a refresh token."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping

import requests

from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError
from connectors.redaction import excerpt, remember

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


def error_detail(response: requests.Response, secrets: list[str]) -> str:
    """LinkedIn's error code and message (or the OAuth error), with any secret blanked out: the whole answer is
    scrubbed before it is cut, so that no half of a secret is left at the cut."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
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
    body = {}
    if response.status_code == 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise MalformedPayloadError(
                platform,
                f"LinkedIn answered the token refresh request{for_what} with something that is not a JSON object: {excerpt(response.text, 200, known)!r}",
                account,
            )
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
