"""LinkedIn's credential warnings against the sandbox's token introspection over HTTP: a refresh token lives 365 days
from the sign-in and a refresh does not extend it, so `check`, `connect` and every sync say so two weeks ahead."""

import dataclasses
import datetime as dt

import requests

from conftest import sandbox_settings
from connectors import clock, linkedin_ads, linkedin_pages
from connectors.linkedin_ads.client import LinkedInAdsSettings
from connectors.linkedin_pages.client import LinkedInPagesSettings
from connectors.sandbox.linkedin_ads import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_EXPIRING_REFRESH_TOKEN,
    SANDBOX_LINKEDIN_TOKEN,
    SANDBOX_REFRESH_TOKEN,
)
from pipelines.check import OK, WARNING, check_all, format_lines, run_check

SIGN_IN = f"social-roi connect linkedin --client-id {SANDBOX_CLIENT_ID}"
SECRETS = (SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_EXPIRING_REFRESH_TOKEN, SANDBOX_LINKEDIN_TOKEN)


def assert_no_secret_in(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def ads_settings(env) -> LinkedInAdsSettings:
    settings = LinkedInAdsSettings.from_env(env)
    assert settings is not None
    return settings


def pages_settings(env) -> LinkedInPagesSettings:
    settings = LinkedInPagesSettings.from_env(env)
    assert settings is not None
    return settings


def test_a_fresh_refresh_token_gets_no_warning_on_either_linkedin_platform(sandbox):
    env = sandbox_settings(sandbox)

    assert list(linkedin_ads.client.token_warnings(ads_settings(env))) == []
    assert list(linkedin_pages.client.token_warnings(pages_settings(env))) == []


def test_a_refresh_token_that_expires_within_14_days_is_warned_of_with_its_day_and_the_sign_in(sandbox):
    env = {**sandbox_settings(sandbox), "LINKEDIN_REFRESH_TOKEN": SANDBOX_EXPIRING_REFRESH_TOKEN}

    [warning] = linkedin_ads.client.token_warnings(ads_settings(env))
    [pages_warning] = linkedin_pages.client.token_warnings(pages_settings(env))

    day = (clock.now(dt.UTC) + dt.timedelta(days=5)).date()
    assert warning.message.startswith(f"LINKEDIN_REFRESH_TOKEN expires on {day.isoformat()} ")
    assert "(in 5 days)" in warning.message and f"`{SIGN_IN}`" in warning.message
    assert pages_warning == warning, "one login, one message: connect prints it once for both platforms"
    assert_no_secret_in(warning.message)


def test_an_expiring_refresh_token_is_a_warning_line_of_check_which_still_passes(sandbox):
    env = {**sandbox_settings(sandbox), "LINKEDIN_REFRESH_TOKEN": SANDBOX_EXPIRING_REFRESH_TOKEN}

    lines = check_all(env, (linkedin_ads.PLATFORM,))
    printed, exit_code = run_check(env)

    [warning] = [line for line in lines if line.status == WARNING]
    assert warning.subject == "linkedin" and warning.target == "credentials"
    assert SIGN_IN in (warning.detail or "")
    assert all(line.status == OK for line in lines if line is not warning)
    assert exit_code == 0 and f"WARNING: {warning.detail}" in printed
    assert_no_secret_in(printed + format_lines(lines))


def test_an_expired_refresh_token_warns_that_syncs_will_fail_while_the_access_token_still_reads(sandbox):
    env = sandbox_settings(sandbox)
    sandbox.linkedin.set_token_expiry(SANDBOX_REFRESH_TOKEN, clock.now(dt.UTC) - dt.timedelta(days=1))

    lines = check_all(env, (linkedin_ads.PLATFORM,))

    [warning] = [line for line in lines if line.status == WARNING]
    assert (warning.detail or "").startswith("LinkedIn says LINKEDIN_REFRESH_TOKEN is expired")
    assert "every LinkedIn sync fails" in (warning.detail or "") and SIGN_IN in (warning.detail or "")
    assert {line.status for line in lines if line.subject == "linkedin" and line is not warning} == {OK}


def test_a_refresh_token_linkedin_does_not_know_is_a_warning_with_the_same_fix(sandbox):
    env = sandbox_settings(sandbox)
    sandbox.linkedin.refresh_tokens.clear()  # revoked: LinkedIn "reserves the right to revoke Refresh Tokens"

    [warning] = linkedin_ads.client.token_warnings(ads_settings(env))

    assert warning.message.startswith("LinkedIn says LINKEDIN_REFRESH_TOKEN is revoked")
    assert SIGN_IN in warning.message


def test_a_wrong_client_secret_says_which_setting_to_fix_without_the_secret(sandbox):
    wrong_secret = "WPL_AP1.NotTheSecret.x+y/z=="
    env = {**sandbox_settings(sandbox), "LINKEDIN_CLIENT_SECRET": wrong_secret}

    lines = check_all(env, (linkedin_ads.PLATFORM,))

    [warning] = [line for line in lines if line.target == "credentials"]
    assert warning.status == WARNING and "LINKEDIN_CLIENT_SECRET" in (warning.detail or "")
    assert wrong_secret not in format_lines(lines)


def test_an_access_token_without_a_refresh_token_is_warned_of_two_weeks_ahead_with_the_sign_in(sandbox):
    with_app = dataclasses.replace(
        ads_settings(sandbox_settings(sandbox)), refresh_token=None
    )  # the app's id and secret, which introspection is asked with, but no refresh token
    sandbox.linkedin.set_token_expiry(SANDBOX_LINKEDIN_TOKEN, clock.now(dt.UTC) + dt.timedelta(days=3, hours=1))

    [warning] = linkedin_ads.client.token_warnings(with_app)
    nothing_to_ask_with = list(linkedin_ads.client.token_warnings(dataclasses.replace(with_app, client_secret=None)))

    assert warning.message.startswith("LINKEDIN_ACCESS_TOKEN expires on ") and "(in 3 days)" in warning.message
    assert SIGN_IN in warning.message and "renews access tokens itself" in warning.message
    assert nothing_to_ask_with == []
    assert_no_secret_in(warning.message)


def test_the_sandbox_introspects_as_linkedin_documents_it(sandbox):
    url = f"{sandbox.base_url}/oauth/v2/introspectToken"
    form = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}

    fresh = requests.post(url, data={**form, "token": SANDBOX_REFRESH_TOKEN}, timeout=10)
    unknown = requests.post(url, data={**form, "token": "AQXnotAToken"}, timeout=10)
    wrong_secret = requests.post(
        url, data={**form, "client_secret": "nope", "token": SANDBOX_REFRESH_TOKEN}, timeout=10
    )
    renewed = requests.post(
        f"{sandbox.base_url}/oauth/v2/accessToken",
        data={**form, "grant_type": "refresh_token", "refresh_token": SANDBOX_EXPIRING_REFRESH_TOKEN},
        timeout=10,
    ).json()

    body = fresh.json()
    assert fresh.status_code == 200 and set(body) == {
        "active",
        "client_id",
        "authorized_at",
        "created_at",
        "status",
        "expires_at",
        "scope",
        "auth_type",
    }
    assert body["active"] is True and body["status"] == "active" and body["auth_type"] == "3L"
    assert body["expires_at"] - body["authorized_at"] == 365 * 86_400
    assert (unknown.status_code, wrong_secret.status_code) == (400, 401)
    # a refresh leaves the refresh token's lifespan as it was, and the access token it brings dies with it
    assert 4 * 86_400 < renewed["refresh_token_expires_in"] <= 5 * 86_400
    assert renewed["expires_in"] == renewed["refresh_token_expires_in"]
