"""`social-roi connect meta`'s discovery: what a Meta token can see, what needs doing about the token, and the
exchange of a short-lived user token, against the sandbox over HTTP through the official SDK."""

import datetime as dt

import pytest
import requests

from conftest import sandbox_settings
from connectors import clock
from connectors.errors import PlatformAuthError
from connectors.facebook_pages.client import FacebookPagesSettings, check_access
from connectors.meta_ads.discovery import discover, exchange_for_long_lived, token_warnings
from connectors.sandbox.facebook_pages import PAGE_WITHOUT_ANALYZE_ID, SANDBOX_PAGE_TOKEN, page_token
from connectors.sandbox.instagram_figures import instagram_accounts
from connectors.sandbox.meta_ads import (
    EXPIRING_TOKEN_DAYS,
    SANDBOX_APP_ID,
    SANDBOX_APP_SECRET,
    SANDBOX_EXPIRING_TOKEN,
    SANDBOX_META_TOKEN,
    SANDBOX_SHORT_LIVED_TOKEN,
)
from connectors.sandbox.organic_figures import facebook_pages


@pytest.fixture
def app_env(sandbox) -> dict[str, str]:
    """The sandbox's settings with the Meta app's id and secret, as a user sets them for --exchange-token."""
    return {**sandbox_settings(sandbox), "META_APP_ID": SANDBOX_APP_ID, "META_APP_SECRET": SANDBOX_APP_SECRET}


def test_discovery_lists_every_ad_account_page_and_instagram_account_with_names_currency_and_time_zone(sandbox):
    found = discover(sandbox_settings(sandbox)).found

    advertiser = sandbox.advertiser
    ad_accounts = [(f.id, f.name, f.currency, f.time_zone) for f in found if f.setting == "META_AD_ACCOUNT_IDS"]
    assert ad_accounts == [(f"act_{a.id}", a.name, a.currency, a.timezone) for a in advertiser.meta_accounts]
    pages = {f.id: f.name for f in found if f.setting == "META_PAGE_IDS"}
    held_without_analyze = {PAGE_WITHOUT_ANALYZE_ID: f"{advertiser.brand} Community"}
    assert pages == {**{page.id: page.name for page in facebook_pages(advertiser)}, **held_without_analyze}
    instagram = [(f.id, f.name, f.parent) for f in found if f.setting == "INSTAGRAM_ACCOUNT_IDS"]
    assert instagram == [
        (account.id, f"@{account.username}", page.name)
        for account, page in zip(instagram_accounts(advertiser), facebook_pages(advertiser), strict=True)
    ]
    # every id as its setting takes it, for its platform
    assert {f.platform for f in found} == {"meta", "facebook_pages", "instagram"}
    assert all(f.problem is None for f in found if f.id != PAGE_WITHOUT_ANALYZE_ID)


def test_discovery_follows_every_page_of_each_listing(sandbox):
    every_entry = discover(sandbox_settings(sandbox)).found
    sandbox.meta.listing_page_limit = 1  # Graph may answer fewer than asked: one account or Page per page

    one_by_one = discover(sandbox_settings(sandbox)).found

    assert one_by_one == every_entry
    asked = [path for _method, path in sandbox.request_log if path.endswith(("/me/adaccounts", "/me/accounts"))]
    listed = len(sandbox.advertiser.meta_accounts) + len(facebook_pages(sandbox.advertiser)) + 1
    assert len(asked) == 2 + listed  # one page each before, then one per entry


def test_a_page_without_the_analyze_task_is_listed_with_what_to_grant_and_where(sandbox):
    env = sandbox_settings(sandbox)
    [page] = [f for f in discover(env).found if f.id == PAGE_WITHOUT_ANALYZE_ID]

    settings = FacebookPagesSettings.from_env({**env, "META_PAGE_IDS": PAGE_WITHOUT_ANALYZE_ID})
    assert settings is not None
    [(checked, problem)] = list(check_access(settings))

    assert checked == PAGE_WITHOUT_ANALYZE_ID
    for message in (page.problem, problem):
        assert isinstance(message, str)
        assert "ANALYZE" in message and "View Page performance" in message
        assert "Business Settings" in message and "Accounts → Pages" in message
        assert "read_insights" in message and "pages_read_engagement" in message
    assert "2853006" in str(problem)  # Meta's refusal, quoted: not retried as an unknown error


def test_the_page_without_analyze_is_in_no_default_setting(sandbox):
    assert PAGE_WITHOUT_ANALYZE_ID not in sandbox_settings(sandbox)["META_PAGE_IDS"]


def test_a_system_user_token_that_never_expires_gets_no_warning(sandbox):
    env = sandbox_settings(sandbox)

    assert discover(env).warnings == ()
    assert list(token_warnings(SANDBOX_META_TOKEN, env["META_GRAPH_URL"])) == []


def test_debug_token_names_the_system_user_whose_pages_me_accounts_lists(sandbox):
    def ask(path: str, token: str, **params: str) -> dict:
        answer = requests.get(f"{sandbox.base_url}/v26.0/{path}", params={"access_token": token, **params}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    users = {}
    for token in (SANDBOX_META_TOKEN, SANDBOX_PAGE_TOKEN):
        data = ask("debug_token", token, input_token=token)["data"]
        assert data["type"] == "SYSTEM_USER" and data["expires_at"] == 0 and data["data_access_expires_at"] == 0
        assert [entry["scope"] for entry in data["granular_scopes"]] == data["scopes"]
        users[token] = (data["user_id"], len(ask("me/accounts", token)["data"]))

    # /me/accounts lists its user's Pages: the ads token's system user holds none, so it is another user
    assert users[SANDBOX_META_TOKEN][1] == 0 and users[SANDBOX_PAGE_TOKEN][1] > 0
    assert users[SANDBOX_META_TOKEN][0] != users[SANDBOX_PAGE_TOKEN][0]


def test_a_token_expiring_within_two_weeks_is_warned_of_with_the_day_and_how_to_renew(sandbox):
    env = sandbox_settings(sandbox)

    [warning] = token_warnings(SANDBOX_EXPIRING_TOKEN, env["META_GRAPH_URL"], "META_ACCESS_TOKEN")

    expires = clock.now(dt.UTC) + dt.timedelta(days=EXPIRING_TOKEN_DAYS)
    assert f"META_ACCESS_TOKEN expires on {expires:%Y-%m-%d}" in warning.message
    assert f"(in {EXPIRING_TOKEN_DAYS} days)" in warning.message
    assert "social-roi connect meta --exchange-token" in warning.message
    assert "System users → " in warning.message and "Generate new token" in warning.message


def test_a_long_lived_user_token_gets_the_recommendation_of_a_system_user_token_with_each_sources_permissions(
    app_env,
):
    token, _ = exchange_for_long_lived(app_env, SANDBOX_SHORT_LIVED_TOKEN)

    [warning] = token_warnings(
        token, app_env["META_GRAPH_URL"], "META_ACCESS_TOKEN", SANDBOX_APP_ID, SANDBOX_APP_SECRET
    )

    assert "is a user token that expires on" in warning.message
    assert "Business Settings → Users → System users" in warning.message and "Generate new token" in warning.message
    for permission in (
        "ads_read",
        "pages_read_engagement",
        "read_insights",
        "instagram_basic",
        "instagram_manage_insights",
    ):
        assert permission in warning.message
    assert token not in warning.message


def test_the_exchange_returns_a_token_of_about_sixty_days_that_meta_accepts(sandbox, app_env):
    token, expires_in = exchange_for_long_lived(app_env, SANDBOX_SHORT_LIVED_TOKEN)

    assert 59 * 86400 < expires_in < 61 * 86400
    found = discover({**app_env, "META_ACCESS_TOKEN": token, "META_PAGE_ACCESS_TOKEN": ""}).found
    assert [f.id for f in found] == [f"act_{a.id}" for a in sandbox.advertiser.meta_accounts]


def test_a_wrong_app_secret_says_which_setting_to_fix_without_the_secret_or_the_token(app_env):
    wrong_secret = "not-the-app-secret-42"

    with pytest.raises(PlatformAuthError) as refused:
        exchange_for_long_lived({**app_env, "META_APP_SECRET": wrong_secret}, SANDBOX_SHORT_LIVED_TOKEN)

    message = str(refused.value)
    assert "META_APP_SECRET" in message and "App settings → Basic" in message
    assert wrong_secret not in message and SANDBOX_SHORT_LIVED_TOKEN not in message


def test_an_invalid_token_fails_the_listing_naming_the_setting_and_never_the_token(sandbox):
    bad_token = "revoked-token-0123456789"

    with pytest.raises(PlatformAuthError) as refused:
        discover({**sandbox_settings(sandbox), "META_ACCESS_TOKEN": bad_token})

    assert "META_ACCESS_TOKEN" in str(refused.value) and "Generate new token" in str(refused.value)
    assert bad_token not in str(refused.value)


def test_a_page_token_lists_the_one_page_it_is_for_with_its_instagram_account(sandbox):
    page, account = facebook_pages(sandbox.advertiser)[0], instagram_accounts(sandbox.advertiser)[0]
    env = {**sandbox_settings(sandbox), "META_PAGE_ACCESS_TOKEN": page_token(page.id)}

    found = discover(env).found

    assert [(f.id, f.name, f.problem) for f in found if f.setting == "META_PAGE_IDS"] == [(page.id, page.name, None)]
    assert [(f.id, f.parent) for f in found if f.setting == "INSTAGRAM_ACCOUNT_IDS"] == [(account.id, page.name)]
    assert len([f for f in found if f.setting == "META_AD_ACCOUNT_IDS"]) == len(sandbox.advertiser.meta_accounts)
    assert sandbox.facebook_pages.page_token_reads == {}, "discovery asks no Page for its token"


def test_a_refused_pages_listing_keeps_the_ad_accounts_and_says_why(sandbox):
    env = {**sandbox_settings(sandbox), "META_PAGE_ACCESS_TOKEN": "not-a-token-of-this-app"}

    discovery = discover(env)

    ad_accounts = [f.id for f in discovery.found if f.setting == "META_AD_ACCOUNT_IDS"]
    assert ad_accounts == [f"act_{a.id}" for a in sandbox.advertiser.meta_accounts]
    assert not [f for f in discovery.found if f.setting == "META_PAGE_IDS"]
    assert any(
        "cannot list your Facebook Pages" in w.message and "META_PAGE_ACCESS_TOKEN" in w.message
        for w in discovery.warnings
    )
