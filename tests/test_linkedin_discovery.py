"""social-roi connect linkedin, the connector's half: what a member's token reaches (`discover`) and how the token is
got through LinkedIn's consent screen (`authorize`), against the sandbox over HTTP and a real loopback redirect."""

import datetime as dt
import threading
import urllib.parse

import pytest
import requests

from conftest import sandbox_settings
from connectors import linkedin_ads, linkedin_pages
from connectors.errors import PlatformAuthError
from connectors.linkedin_ads.client import LinkedInAdsClient, LinkedInAdsSettings
from connectors.linkedin_ads.discovery import CONNECTION, SCOPES, authorize, discover
from connectors.linkedin_pages.client import LinkedInPagesSettings
from connectors.linkedin_rest import REFRESH_VARIABLES
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale
from connectors.sandbox.linkedin_ads import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    STRANGER_AD_ACCOUNT_ID,
)
from connectors.sandbox.linkedin_pages import PARTNER_ORGANIZATION_ID, PARTNER_ORGANIZATION_NAME
from connectors.sandbox.linkedin_pages_figures import linkedin_organizations

PARTNER_URN = f"urn:li:organization:{PARTNER_ORGANIZATION_ID}"


class Browser:
    """A member's browser: opens the authorization URL LinkedIn's way (the sandbox plays the logged-in member) and
    follows LinkedIn's redirect to the loopback callback, in a thread of its own as a real browser would. It
    registers the redirect URL it finds in the sandbox's app first (the test's port is only known then), unless
    told not to; `on_redirect` may change where LinkedIn sent it before it goes there."""

    def __init__(self, sandbox: Sandbox, register: bool = True, on_redirect=None):
        self.sandbox, self.register, self.on_redirect = sandbox, register, on_redirect
        self.authorization: requests.Response | None = None
        self.callback: requests.Response | None = None
        self.redirected_to: str | None = None
        self._thread: threading.Thread | None = None

    def open(self, url: str) -> None:
        self._thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self._thread.start()

    def _visit(self, url: str) -> None:
        if self.register:
            [redirect] = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["redirect_uri"]
            self.sandbox.linkedin.register_redirect_url(redirect)
        self.authorization = requests.get(url, allow_redirects=False, timeout=10)
        self.redirected_to = self.authorization.headers.get("Location")
        if self.redirected_to:
            location = self.on_redirect(self.redirected_to) if self.on_redirect else self.redirected_to
            self.callback = requests.get(location, timeout=30)

    def closed(self) -> "Browser":
        assert self._thread is not None
        self._thread.join(timeout=30)
        return self


def connect(sandbox: Sandbox, browser: Browser, timeout_seconds: float = 20.0):
    return authorize(
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        oauth_url=sandbox.base_url,
        redirect_port=0,
        open_url=browser.open,
        timeout_seconds=timeout_seconds,
    )


def code_of(location: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]


# --- what the token reaches --------------------------------------------------------------------------


def test_connect_lists_every_ad_account_and_page_the_member_has_a_role_on_with_names_and_currency(sandbox):
    advertiser = sandbox.advertiser

    found = {row.id: row for row in discover(sandbox_settings(sandbox)).found}

    accounts = {f"urn:li:sponsoredAccount:{a.id}": (a.name, a.currency) for a in advertiser.linkedin_accounts}
    pages = {o.urn: o.name for o in linkedin_organizations(advertiser)} | {PARTNER_URN: PARTNER_ORGANIZATION_NAME}
    assert {i: (r.name, r.currency) for i, r in found.items() if r.platform == linkedin_ads.PLATFORM.name} == accounts
    assert {i: r.name for i, r in found.items() if r.platform == "linkedin_pages"} == pages
    assert {r.setting for r in found.values()} == {"LINKEDIN_AD_ACCOUNT_IDS", "LINKEDIN_ORGANIZATION_IDS"}
    assert [i for i, r in found.items() if r.problem] == [PARTNER_URN], "only the partner page's role falls short"
    assert STRANGER_AD_ACCOUNT_ID not in "".join(found), "an account without a role is not the member's to list"
    assert sandbox.environment()["LINKEDIN_ORGANIZATION_IDS"].count("urn:li:organization:") == 2, "default unchanged"


def test_connect_follows_every_page_of_both_listings():
    scale = AgencyScale(meta_accounts=2, linkedin_accounts=3, ga4_properties=1, campaigns_per_account=1)
    with Sandbox(seed=7, agency=scale) as agency:
        found = discover(sandbox_settings(agency), page_size=2).found

        assert len([r for r in found if r.platform == linkedin_ads.PLATFORM.name]) == 3
        assert len([r for r in found if r.platform == "linkedin_pages"]) == 3 * 2 + 1
        assert agency.request_log.count(("GET", "/rest/adAccountUsers")) == 2
        assert agency.request_log.count(("GET", "/rest/organizationAcls")) == 4


def test_a_page_the_member_only_sponsors_content_for_is_listed_with_the_role_it_needs_and_its_check_says_so(sandbox):
    [partner] = [row for row in discover(sandbox_settings(sandbox)).found if row.id == PARTNER_URN]
    settings = LinkedInPagesSettings.from_env({**sandbox_settings(sandbox), "LINKEDIN_ORGANIZATION_IDS": PARTNER_URN})
    assert linkedin_pages.PLATFORM.check is not None and settings is not None

    [(target, refusal)] = list(linkedin_pages.PLATFORM.check(settings))

    assert (
        partner.problem is not None
        and "is a Sponsored Content poster (DIRECT_SPONSORED_CONTENT_POSTER)" in partner.problem
    )
    for said in (partner.problem, refusal):
        assert isinstance(said, str)
        assert "Super admin" in said and "ADMINISTRATOR" in said and "Manage admins" in said
    assert target == PARTNER_ORGANIZATION_ID and isinstance(refusal, str) and "403" in refusal


def test_an_ad_account_the_member_holds_no_role_on_gets_one_message_naming_who_adds_the_role_where(sandbox):
    env = {**sandbox_settings(sandbox), "LINKEDIN_AD_ACCOUNT_IDS": STRANGER_AD_ACCOUNT_ID}
    settings = LinkedInAdsSettings.from_env(env)
    assert linkedin_ads.PLATFORM.check is not None and settings is not None

    verdicts = dict(linkedin_ads.PLATFORM.check(settings))

    refusal = verdicts[STRANGER_AD_ACCOUNT_ID]
    assert isinstance(refusal, str) and f"holds no role on LinkedIn ad account {STRANGER_AD_ACCOUNT_ID}" in refusal
    assert "account managers" in refusal and "Campaign Manager → the ad account → Manage access" in refusal


def test_a_token_refused_the_ad_accounts_still_lists_its_pages_and_says_what_the_ad_accounts_need(sandbox):
    sandbox.faults.arm("linkedin", "permission_denied", times=1)  # discover's first call: the member's ad accounts

    discovery = discover(sandbox_settings(sandbox))

    assert {row.platform for row in discovery.found} == {linkedin_pages.PLATFORM.name}
    [warning] = discovery.warnings
    assert (
        "403" in warning.message
        and "r_ads" in warning.message
        and "cannot list your LinkedIn ad accounts" in warning.message
    )


def test_credentials_that_serve_neither_listing_fail_naming_the_fix(sandbox):
    sandbox.linkedin.valid_tokens.clear()  # the token was revoked; no refresh credentials either
    env = {name: value for name, value in sandbox_settings(sandbox).items() if name not in REFRESH_VARIABLES}

    with pytest.raises(PlatformAuthError, match="401.*LINKEDIN_ACCESS_TOKEN"):
        discover(env)


# --- getting the token ---------------------------------------------------------------------------------


def test_a_member_who_clicks_allow_gives_tokens_that_read_the_api_and_the_browser_is_told_to_close_the_tab(sandbox):
    browser = Browser(sandbox)

    grant = connect(sandbox, browser)

    browser.closed()
    assert browser.callback is not None and browser.callback.status_code == 200
    assert "You can close this tab" in browser.callback.text
    assert grant.scope == SCOPES and grant.expires_in == 60 * 86_400 and grant.refresh_token_expires_in == 365 * 86_400
    assert grant.redirect_url == browser.redirected_to.split("?")[0]
    assert grant.access_token not in repr(grant) and str(grant.refresh_token) not in repr(grant)
    only_the_new_token = {**sandbox_settings(sandbox), "LINKEDIN_ACCESS_TOKEN": grant.access_token}
    for name in ("LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET", "LINKEDIN_REFRESH_TOKEN"):
        del only_the_new_token[name]
    assert CONNECTION.configured(only_the_new_token)
    assert len(CONNECTION.discover(only_the_new_token).found) == len(sandbox.advertiser.linkedin_accounts) + 3


def test_the_issued_refresh_token_renews_an_expired_access_token_through_the_connectors_refresh(sandbox):
    grant = connect(sandbox, Browser(sandbox))
    assert grant.refresh_token is not None
    env = {
        **sandbox_settings(sandbox),
        "LINKEDIN_ACCESS_TOKEN": grant.access_token,
        "LINKEDIN_REFRESH_TOKEN": grant.refresh_token,
    }
    sandbox.linkedin.expired_tokens.add(grant.access_token)
    settings = LinkedInAdsSettings.from_env(env)
    assert settings is not None
    client = LinkedInAdsClient(settings)
    account = sandbox.advertiser.linkedin_accounts[0].id

    try:
        campaigns = client.campaigns(account)
    finally:
        client.close()

    assert campaigns and client.token_refreshes == 1


def test_a_refresh_keeps_the_refresh_tokens_year_counting_from_the_members_authorization(sandbox):
    grant = connect(sandbox, Browser(sandbox))
    form = {
        "grant_type": "refresh_token",
        "refresh_token": grant.refresh_token,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
    }

    sandbox.linkedin.age_refresh_tokens(dt.timedelta(days=59))
    on_day_59 = requests.post(f"{sandbox.base_url}/oauth/v2/accessToken", data=form, timeout=10)
    sandbox.linkedin.age_refresh_tokens(dt.timedelta(days=306))
    after_a_year = requests.post(f"{sandbox.base_url}/oauth/v2/accessToken", data=form, timeout=10)

    assert on_day_59.status_code == 200 and on_day_59.json()["refresh_token"] == grant.refresh_token
    assert 305 * 86_400 < on_day_59.json()["refresh_token_expires_in"] <= 306 * 86_400
    assert on_day_59.json()["expires_in"] == 60 * 86_400
    assert after_a_year.status_code == 400 and after_a_year.json()["error"] == "invalid_request"


def test_a_member_who_declines_is_told_nothing_was_connected_and_how_to_try_again(sandbox):
    sandbox.linkedin.member_answer = "user_cancelled_authorize"
    browser = Browser(sandbox)

    with pytest.raises(PlatformAuthError, match="declined.*user_cancelled_authorize.*click Allow"):
        connect(sandbox, browser)

    callback = browser.closed().callback
    assert callback is not None and "not connected" in callback.text
    assert sandbox.linkedin.authorization_codes == {}


def test_an_app_without_the_community_management_product_is_told_which_products_to_add(sandbox):
    sandbox.linkedin.app_scopes.discard("rw_organization_admin")  # the app lacks the Community Management API
    browser = Browser(sandbox)

    with pytest.raises(PlatformAuthError) as refused:
        connect(sandbox, browser)

    message = str(refused.value)
    assert "unauthorized_scope_error" in message and 'Scope "rw_organization_admin" is not authorized' in message
    assert "Community Management API" in message and "&quot;" not in message
    assert browser.closed().callback is not None and "not connected" in browser.callback.text
    assert sandbox.linkedin.authorization_codes == {}


def test_an_answer_carrying_another_state_is_refused_and_its_code_never_exchanged(sandbox):
    def forged(location: str) -> str:
        return location.replace("state=", "state=forged")

    browser = Browser(sandbox, on_redirect=forged)

    with pytest.raises(PlatformAuthError, match="another state"):
        connect(sandbox, browser)

    assert browser.closed().callback is not None and browser.callback.status_code == 401
    assert not any(code.used for code in sandbox.linkedin.authorization_codes.values())


def test_a_code_is_exchanged_once_only(sandbox):
    browser = Browser(sandbox)
    grant = connect(sandbox, browser)
    redirected_to = browser.closed().redirected_to
    assert redirected_to is not None

    again = requests.post(
        f"{sandbox.base_url}/oauth/v2/accessToken",
        data={
            "grant_type": "authorization_code",
            "code": code_of(redirected_to),
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "redirect_uri": grant.redirect_url,
        },
        timeout=10,
    )

    assert again.status_code == 400 and again.json()["error"] == "invalid_redirect_uri"


def test_a_code_older_than_thirty_minutes_is_refused_with_what_to_do(sandbox):
    def half_an_hour_later(location: str) -> str:
        sandbox.linkedin.age_authorization_codes(dt.timedelta(minutes=30, seconds=1))
        return location

    browser = Browser(sandbox, on_redirect=half_an_hour_later)

    with pytest.raises(PlatformAuthError, match="30 minutes.*connect linkedin again") as refused:
        connect(sandbox, browser)

    redirected_to = browser.closed().redirected_to
    assert redirected_to is not None
    assert code_of(redirected_to) not in str(refused.value) and SANDBOX_CLIENT_SECRET not in str(refused.value)


def test_an_unregistered_redirect_url_is_refused_on_linkedins_page_and_connect_names_the_url_to_register(sandbox):
    browser = Browser(sandbox, register=False)

    with pytest.raises(PlatformAuthError, match="Authorized redirect URLs") as refused:
        connect(sandbox, browser, timeout_seconds=1)

    page = browser.closed().authorization
    assert page is not None and page.status_code == 401 and "Location" not in page.headers
    assert "redirect_uri does not match the registered value" in page.text
    assert "http://localhost:" in str(refused.value) and "/callback" in str(refused.value)


def test_an_unknown_app_is_refused_on_linkedins_page_with_no_redirect(sandbox):
    sandbox.linkedin.register_redirect_url("http://localhost:9/callback")
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": "someone-elses-app",
            "redirect_uri": "http://localhost:9/callback",
            "state": "x",
            "scope": "r_ads",
        }
    )

    answer = requests.get(f"{sandbox.base_url}/oauth/v2/authorization?{query}", allow_redirects=False, timeout=10)

    assert answer.status_code == 401 and "Location" not in answer.headers
