"""What one LinkedIn member's token reaches, and how `social-roi connect linkedin` gets that token.

One member token serves both LinkedIn platforms (linkedin_ads, linkedin_pages), so one module lists both:
- `discover(env)`: the ad accounts the member holds a role on (adAccountUsers, finder authenticatedUser), each
  read for its name and currency (GET /rest/adAccounts/{id}); and the pages the member holds an approved role on
  (organizationAcls, finder roleAssignee, state=APPROVED), named through the finder's documented projection
  ``(elements*(*,organization~(localizedName)))``. A page where the member's roles do not include ADMINISTRATOR
  (LinkedIn's Super admin) is listed with the problem named: only that role reads a page's statistics.
- `authorize(...)`: LinkedIn's authorization-code flow (3-legged OAuth,
  learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow) with a loopback redirect: a
  one-shot HTTP server on 127.0.0.1 receives the member's answer at `redirect_url(port)`, which must be one of the
  app's Authorized redirect URLs exactly, port included (Developer Portal → the app → Auth). The code it brings
  is exchanged for an access token (60 days) and, for apps with programmatic refresh tokens, a refresh token
  (365 days) that the LinkedIn connectors renew access tokens with.

Every call goes through `LinkedInAdsClient` (linkedin_ads/client.py): its session, token renewal, retries and
error sorting. No secret (client secret, code, token) is written into any message, page or log line.
"""

from __future__ import annotations

import dataclasses
import html
import http.server
import json
import logging
import re
import secrets
import time
import urllib.parse
import webbrowser
from collections.abc import Callable, Iterator, Mapping, Sequence

import requests

from connectors.discovery import Connection, Discovery, Found
from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError, PlatformError
from connectors.linkedin_ads.client import (
    MEMBER_ROLES_PAGE_SIZE,
    LinkedInAdsClient,
    LinkedInAdsSettings,
)
from connectors.linkedin_ads.parsing import ACCOUNT_URN, PLATFORM
from connectors.linkedin_pages.client import ORGANIZATION_URN, PAGE_ROLE_FIX, READING_ROLE
from connectors.linkedin_pages.client import PLATFORM as PAGES_PLATFORM
from connectors.linkedin_rest import DEFAULT_OAUTH_URL, REFRESH_VARIABLES, error_detail, json_object
from connectors.platform import CheckWarning
from connectors.redaction import excerpt, remember

# What the two LinkedIn connectors read with: r_ads (ad accounts, campaigns, conversion rules), r_ads_reporting
# (adAnalytics), rw_organization_admin (page statistics, follower totals, the member's page roles),
# r_organization_social (the pages' posts). See linkedin_ads/client.py and linkedin_pages/client.py.
SCOPES = ("r_ads", "r_ads_reporting", "r_organization_social", "rw_organization_admin")
# The port `social-roi connect linkedin` listens on unless told otherwise: register redirect_url(8719),
# http://localhost:8719/callback, in the app (not 8765: the sandbox itself listens there by default).
DEFAULT_REDIRECT_PORT = 8719
CALLBACK_PATH = "/callback"
# How long an idle browser connection (a speculative preconnect that sends no request) may hold the one-shot
# server before it is dropped and the next connection served.
IDLE_CONNECTION_SECONDS = 5.0
EXCHANGE_TIMEOUT_SECONDS = 60.0
# The page roles as LinkedIn's Page admin screens name them (LinkedIn Help a541981, "LinkedIn Page admin roles"),
# for the API's names (organization-access-control-by-role docs).
ROLE_NAMES = {
    "ADMINISTRATOR": "Super admin",
    "CONTENT_ADMINISTRATOR": "Content admin",
    "CURATOR": "Curator",
    "ANALYST": "Analyst",
    "DIRECT_SPONSORED_CONTENT_POSTER": "Sponsored Content poster",
    "LEAD_GEN_FORMS_MANAGER": "Lead Gen Forms manager",
    "LEAD_CAPTURE_ADMINISTRATOR": "Landing Pages manager",
    "RECRUITING_POSTER": "recruiting poster",
}
AD_ACCOUNT_SETTING = "LINKEDIN_AD_ACCOUNT_IDS"
ORGANIZATION_SETTING = "LINKEDIN_ORGANIZATION_IDS"
CREDENTIALS_HINT = (
    "LINKEDIN_ACCESS_TOKEN, or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN "
    "(social-roi connect linkedin gets them through LinkedIn's consent screen, from the app's client id and secret)"
)

log = logging.getLogger(__name__)


# --- what the token reaches ------------------------------------------------------------------------


def configured(env: Mapping[str, str]) -> bool:
    """Whether `env` holds LinkedIn credentials `discover` can call with: an access token, or refresh credentials."""
    return bool(env.get("LINKEDIN_ACCESS_TOKEN", "").strip()) or all(
        env.get(name, "").strip() for name in REFRESH_VARIABLES
    )


def discover(env: Mapping[str, str], page_size: int = MEMBER_ROLES_PAGE_SIZE) -> Discovery:
    """Every ad account and page the member of `env`'s token holds a role on, every page of both listings read.
    Raises PlatformError (naming the setting to fix) when the credentials cannot be used at all. A token refused
    one listing only (an app with the Advertising API's scopes and not the Community Management API's, or the
    other way round) still lists the other, with a warning that says what the refused one needs."""
    settings = dataclasses.replace(LinkedInAdsSettings.for_member(env), member_roles_page_size=page_size)
    client = LinkedInAdsClient(settings)
    found: list[Found] = []
    refusals: list[PlatformAuthError] = []
    warnings: list[CheckWarning] = []
    try:
        for listing, what in ((_ad_accounts(client), "ad accounts"), (_organizations(client, page_size), "pages")):
            try:
                found.extend(listing)
            except PlatformAuthError as refused:
                refusals.append(refused)
                warnings.append(
                    CheckWarning(f"{refused} Until then, social-roi connect cannot list your LinkedIn {what}.")
                )
    finally:
        client.close()
    if len(refusals) == 2:
        raise refusals[0]  # the credentials serve neither: what LinkedIn said first is the fix
    return Discovery(found=tuple(found), warnings=tuple(warnings))


def _ad_accounts(client: LinkedInAdsClient) -> Iterator[Found]:
    """The ad accounts the member holds a role on, each with its name and currency; one that cannot be read is
    listed with LinkedIn's answer as its problem."""
    for account_id in sorted(client.member_accounts()):
        urn = f"{ACCOUNT_URN}{account_id}"
        try:
            account = client.ad_account(account_id)
        except PlatformError as error:
            yield Found(PLATFORM, AD_ACCOUNT_SETTING, urn, f"ad account {account_id}", "ad account", problem=str(error))
            continue
        currency = account.get("currency")
        yield Found(
            PLATFORM,
            AD_ACCOUNT_SETTING,
            urn,
            str(account.get("name") or f"ad account {account_id}"),
            "ad account",
            currency=currency if isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency) else None,
        )


def organization_roles_query(start: int, count: int) -> str:
    """organizationAcls' finder for the member's approved roles, one page, each page's name decorated on: the
    projection is Rest.li syntax and goes as is."""
    return f"q=roleAssignee&state=APPROVED&start={start}&count={count}&projection=(elements*(*,organization~(localizedName)))"


def _organizations(client: LinkedInAdsClient, page_size: int) -> Iterator[Found]:
    """The pages the member holds an approved role on, in LinkedIn's order, each once with all its roles."""
    roles: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    start = 0
    while True:
        body = client.read("/rest/organizationAcls", organization_roles_query(start, page_size), "page roles")
        elements = body.get("elements")
        if not isinstance(elements, list):
            raise _malformed("has no elements list", body)
        new = 0
        for element in elements:
            urn = element.get("organization") if isinstance(element, Mapping) else None
            if not isinstance(urn, str) or not re.fullmatch(rf"{ORGANIZATION_URN}\d+", urn):
                raise _malformed(f"names no organization URN ({urn!r})", element)
            role = str(element.get("role"))
            if (urn, role) in seen:
                continue
            seen.add((urn, role))
            new += 1
            roles.setdefault(urn, []).append(role)
            decorated = element.get("organization~")
            name = decorated.get("localizedName") if isinstance(decorated, Mapping) else None
            if isinstance(name, str) and name:
                names[urn] = name
        start += page_size
        paging = body.get("paging")
        paging = paging if isinstance(paging, Mapping) else {}
        total = paging.get("total")
        links = paging.get("links")
        links = links if isinstance(links, list) else []
        more = any(isinstance(link, Mapping) and link.get("rel") == "next" for link in links)
        if isinstance(total, int):
            more = start < total
        elif not links:
            more = len(elements) == page_size  # no total, no links: a full page may have another behind it
        if not more or not new:
            break  # the last page, or a page of roles seen before: stop rather than loop
    for urn, held in roles.items():
        yield Found(
            PAGES_PLATFORM,
            ORGANIZATION_SETTING,
            urn,
            names.get(urn, f"organization {urn.removeprefix(ORGANIZATION_URN)}"),
            "organization",
            problem=None if READING_ROLE in held else page_role_problem(held),
        )


def page_role_problem(held: Sequence[str]) -> str:
    """Why a member with only these page roles cannot sync the page, and where the role it needs is given."""
    named = [ROLE_NAMES.get(role, role) for role in held]
    described = " and ".join(
        f"{'an' if name[0] in 'AEIOU' else 'a'} {name} ({role})" for name, role in zip(named, held, strict=True)
    )
    return (
        f"The token's member is {described} of this page, which does not let it read the page's statistics or "
        f"posts through LinkedIn's API: {PAGE_ROLE_FIX}."
    )


def _malformed(problem: str, payload) -> MalformedPayloadError:
    return MalformedPayloadError(
        PAGES_PLATFORM,
        f"LinkedIn's organizationAcls answer {problem}: {excerpt(json.dumps(payload, default=str), 300)}",
    )


CONNECTION = Connection(
    name="linkedin",
    platforms=(PLATFORM, PAGES_PLATFORM),
    credentials_hint=CREDENTIALS_HINT,
    discover=discover,
    configured=configured,
)


# --- getting the token ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Grant:
    """What LinkedIn's token endpoint issued for the member who clicked Allow."""

    access_token: str = dataclasses.field(repr=False)
    expires_in: int  # seconds the access token lives: 60 days
    # None for an app without programmatic refresh tokens (LinkedIn enables them for some partner apps only).
    refresh_token: str | None = dataclasses.field(repr=False)
    refresh_token_expires_in: int | None  # seconds: 365 days from the first authorization
    scope: tuple[str, ...]  # what the member granted
    redirect_url: str  # where LinkedIn sent the member back


def redirect_url(port: int) -> str:
    """The redirect URL `authorize` receives LinkedIn's answer at: register it in the app exactly as written. The
    host is localhost, the form LinkedIn's own client example registers (http://localhost:3000/oauth,
    github.com/linkedin-developers/linkedin-api-python-client, examples/oauth_member_auth_redirect.py); the server
    listens on 127.0.0.1, which browsers reach for localhost."""
    return f"http://localhost:{port}{CALLBACK_PATH}"


def authorization_url(oauth_url: str, client_id: str, redirect: str, state: str, scopes: Sequence[str]) -> str:
    """LinkedIn's authorization page for this app, redirect URL, state and scopes (space-delimited, URL-encoded)."""
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect,
            "state": state,
            "scope": " ".join(scopes),
        },
        quote_via=urllib.parse.quote,
    )
    return f"{oauth_url}/oauth/v2/authorization?{query}"


def authorize(
    client_id: str,
    client_secret: str,
    oauth_url: str = DEFAULT_OAUTH_URL,
    redirect_port: int = DEFAULT_REDIRECT_PORT,
    open_url: Callable[[str], object] = webbrowser.open,
    timeout_seconds: float = 300.0,
    scopes: Sequence[str] = SCOPES,
) -> Grant:
    """The member's tokens, through LinkedIn's consent screen: listens on 127.0.0.1:`redirect_port` (0: any free
    port, for an app whose redirect URL can be registered once the port is known, as the tests' sandbox app can),
    calls `open_url` with the authorization URL (the CLI passes webbrowser.open and prints it too), waits up to
    `timeout_seconds` for LinkedIn to send the member back to `redirect_url(port)`, checks the `state` it sent,
    exchanges the code and tells the browser it can close the tab. Raises PlatformAuthError saying what to do when
    the member declines, the state does not match, the code is refused or no answer comes."""
    remember(client_secret)  # scrubbed from every message from now on, wherever it came from
    state = secrets.token_urlsafe(32)
    try:
        server = _CallbackServer(("127.0.0.1", redirect_port), _Callback)
    except OSError as error:
        raise PlatformConfigError(
            PLATFORM,
            f"Cannot listen on 127.0.0.1:{redirect_port} for LinkedIn's redirect ({error.strerror}): stop what uses that port, or choose another one and register {redirect_url(redirect_port)} with that port in the app (Developer Portal → the app → Auth → Authorized redirect URLs).",
        ) from None
    try:
        redirect = redirect_url(server.server_address[1])
        server.receive = lambda query: _answer(query, state, client_id, client_secret, oauth_url, redirect)
        open_url(authorization_url(oauth_url, client_id, redirect, state, scopes))
        deadline = time.monotonic() + timeout_seconds
        while server.outcome is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PlatformAuthError(
                    PLATFORM,
                    f'No answer came back from LinkedIn to {redirect} within {timeout_seconds:.0f} seconds. If LinkedIn showed "The redirect_uri does not match the registered value", add {redirect} exactly as written (port included) to the app\'s Authorized redirect URLs (Developer Portal → the app → Auth) and run social-roi connect linkedin again; otherwise open the link again and click Allow.',
                )
            server.timeout = left
            server.handle_request()
    finally:
        server.server_close()
    if isinstance(server.outcome, PlatformError):
        raise server.outcome
    return server.outcome


class _CallbackServer(http.server.HTTPServer):
    """Serves one answer from LinkedIn: `receive` turns the callback's query into the page the browser is shown,
    and sets `outcome`, the grant or the error."""

    def __init__(self, address: tuple[str, int], handler: type[http.server.BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self.outcome: Grant | PlatformError | None = None
        self.receive: Callable[[Mapping[str, str]], tuple[Grant | PlatformError, int, str]] | None = None


class _Callback(http.server.BaseHTTPRequestHandler):
    timeout = IDLE_CONNECTION_SECONDS
    server: _CallbackServer

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path != CALLBACK_PATH or self.server.receive is None or self.server.outcome is not None:
            self._page(404, "This is not LinkedIn's answer for social-roi.")
            return
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        outcome, status, message = self.server.receive(query)
        self.server.outcome = outcome
        self._page(status, message)

    def _page(self, status: int, message: str) -> None:
        body = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>social-roi</title></head>"
            f"<body><p>{html.escape(message)}</p></body></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # the request line carries the authorization code: never logged
        pass


def _answer(
    query: Mapping[str, str], state: str, client_id: str, client_secret: str, oauth_url: str, redirect: str
) -> tuple[Grant | PlatformError, int, str]:
    """(the grant or the error, the status and words of the page the browser is shown) for LinkedIn's callback."""
    if not secrets.compare_digest(query.get("state", ""), state):
        # "If the state values do not match, you are likely the victim of a CSRF attack and your application should
        # return a 401 Unauthorized error code in response" (authorization-code-flow, Step 2).
        error = PlatformAuthError(
            PLATFORM,
            "An answer reached the LinkedIn callback with another state than this social-roi connect sent, so it was not started by it (an old link, another tab, or a forged request) and was refused. Run social-roi connect linkedin again and use the link it opens.",
        )
        return (
            error,
            401,
            "Refused: this answer does not belong to the social-roi connect that is waiting. You can close this tab.",
        )
    if query.get("error"):
        return (
            _declined(query["error"], query.get("error_description", "")),
            200,
            "LinkedIn is not connected: see the terminal for why. You can close this tab.",
        )
    code = query.get("code", "")
    if not code:
        error = PlatformAuthError(
            PLATFORM,
            "LinkedIn sent the member back without an authorization code. Run social-roi connect linkedin again.",
        )
        return error, 400, "LinkedIn sent no authorization code: see the terminal. You can close this tab."
    remember(code)
    try:
        grant = _exchange(code, client_id, client_secret, oauth_url, redirect)
    except PlatformError as error:
        return error, 200, "LinkedIn is not connected: see the terminal for why. You can close this tab."
    return grant, 200, "social-roi is connected to LinkedIn. You can close this tab and return to the terminal."


def _declined(error: str, description: str) -> PlatformAuthError:
    """The error for LinkedIn's redirect with ?error=: the member declined ("Failed Requests",
    authorization-code-flow), or the app asked for scopes it was not granted: unauthorized_scope_error, its
    description's quotes HTML-escaped (`Scope &quot;r_ads&quot; is not authorized for your application`,
    cuongdevjs/reactjs-social-login#178), or invalid_scope as LinkedIn said it before 2019."""
    said = f"({error}: {excerpt(html.unescape(description), 200)})" if description else f"({error})"
    if error == "user_cancelled_authorize":
        message = f"The LinkedIn member declined social-roi's request on LinkedIn's consent screen {said}: nothing was connected. Run social-roi connect linkedin again and click Allow; it asks for {', '.join(SCOPES)}, to read reports and page statistics."
    elif error == "user_cancelled_login":
        message = f"The LinkedIn login was cancelled {said}: nothing was connected. Run social-roi connect linkedin again and log in to LinkedIn as a member with a role on the ad accounts and pages."
    elif error in ("unauthorized_scope_error", "invalid_scope"):
        message = f"LinkedIn refused the scopes social-roi asks for {said}: the app lacks a product. In the Developer Portal, add the Advertising API (r_ads, r_ads_reporting) and Community Management API (r_organization_social, rw_organization_admin) products to the app, then run social-roi connect linkedin again."
    else:
        message = f"LinkedIn did not authorize social-roi {said}. Run social-roi connect linkedin again."
    return PlatformAuthError(PLATFORM, message)


def _exchange(code: str, client_id: str, client_secret: str, oauth_url: str, redirect: str) -> Grant:
    """The tokens for an authorization code (authorization-code-flow, Step 3): a form POST, once."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect,
    }
    try:
        response = requests.post(f"{oauth_url}/oauth/v2/accessToken", data=form, timeout=EXCHANGE_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise PlatformAuthError(
            PLATFORM,
            f"LinkedIn's token endpoint at {oauth_url} could not be reached ({type(error).__name__}). Check the connection and run social-roi connect linkedin again.",
        ) from None
    detail = error_detail(response, [client_secret, code])
    if response.status_code == 401 and "invalid_client" in detail:
        raise PlatformAuthError(
            PLATFORM,
            f"LinkedIn rejected the app's credentials (401 {detail}): check LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET against the app (Developer Portal → the app → Auth).",
        )
    if response.status_code != 200:
        raise PlatformAuthError(
            PLATFORM,
            f"LinkedIn would not exchange the authorization code (HTTP {response.status_code} {detail}). A code is good once, for 30 minutes, and for the redirect URL it was issued to: run social-roi connect linkedin again.",
        )
    body = json_object(response)
    token = body.get("access_token") if body is not None else None
    if body is None or not isinstance(token, str) or not token:
        raise MalformedPayloadError(
            PLATFORM,
            f"LinkedIn's token endpoint answered without an access token: {excerpt(response.text, 200, [client_secret, code])}",
        )
    refresh_token = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
    remember(token, refresh_token)
    scope = body.get("scope")
    return Grant(
        access_token=token,
        expires_in=_seconds(body.get("expires_in")) or 0,
        refresh_token=refresh_token or None,
        refresh_token_expires_in=_seconds(body.get("refresh_token_expires_in")),
        # space-delimited (authorization-code-flow); commas are read too
        scope=tuple(re.split(r"[ ,]+", scope.strip())) if isinstance(scope, str) and scope.strip() else (),
        redirect_url=redirect,
    )


def _seconds(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
