"""No secret in any text the pipeline writes: the scrub of connectors/redaction.py, in every encoding a secret
takes on its way, applied to finished text (scrubbed, then cut), and LinkedIn's answers that once leaked."""

import json
import logging
import urllib.parse

import pytest

from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformError
from connectors.linkedin_ads.client import LinkedInAdsSettings, fetch_window
from connectors.redaction import (
    REDACTED,
    SECRET_SETTING,
    Scrubber,
    excerpt,
    remember,
    scrub,
    scrub_every_log_record,
    stored_line,
)
from connectors.registry import PLATFORMS
from connectors.retry import Backoff
from connectors.sandbox.linkedin_ads import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    refreshed_token,
)
from pipelines.settings import SETTING_NAMES

# A password as people choose them: every character an encoder rewrites, and some it writes as two.
PASSWORD = 'pä ss/wö+rd="\\😀&%1234'


def encodings(secret: str) -> dict[str, str]:
    return {
        "plain": secret,
        "percent-encoded": urllib.parse.quote(secret, safe=""),
        "form-encoded": urllib.parse.quote_plus(secret),
        "percent-encoded twice": urllib.parse.quote(urllib.parse.quote(secret, safe=""), safe=""),
        "json-escaped": json.dumps(secret)[1:-1],
        "json-escaped, non-ascii as is": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json inside json": json.dumps(json.dumps(secret)[1:-1])[1:-1],
        "json with escaped slashes": json.dumps(secret)[1:-1].replace("/", "\\/"),
    }


@pytest.mark.parametrize("encoding", list(encodings(PASSWORD)))
def test_a_secret_setting_is_scrubbed_in_every_encoding_it_can_take(encoding, monkeypatch):
    monkeypatch.setenv("SOCIAL_ROI_SMTP_PASSWORD", PASSWORD)
    written = encodings(PASSWORD)[encoding]

    scrubbed = scrub(f"server said: 535 auth failed for {written}; bye")

    assert scrubbed == f"server said: 535 auth failed for {REDACTED}; bye"


@pytest.mark.parametrize(
    "text",
    [
        "https://graph.facebook.com/v26.0/1/insights?access_token=EAAQunknown&limit=25",
        "https://graph.facebook.com/v26.0/1/insights?access_token\\u003dEAAQunknown\\u0026limit=25",
        "next=https%3A%2F%2Fgraph.facebook.com%2F1%3Faccess_token%3DEAAQunknown%26limit%3D25",
        "access_token=EAAQunknown&expires_in=5184000&refresh_token=EAAQunknown2&limit=25",
        '{"access_token": "EAAQunknown", "refresh_token":"EAAQunknown2", "limit":25}',
        '{"raw_row":"{\\"access_token\\":\\"EAAQunknown\\",\\"limit\\":25}"}',
    ],
    ids=["link", "json-escaped link", "percent-encoded link", "form", "json", "json inside json"],
)
def test_a_credential_in_a_link_a_form_or_json_is_blanked_whatever_its_value(text):
    scrubbed = scrub(text)

    assert "EAAQ" not in scrubbed and "limit" in scrubbed


def test_every_setting_that_holds_a_secret_is_known_as_one():
    names = {name for platform in PLATFORMS for name in platform.setting_names} | set(SETTING_NAMES)

    assert {name for name in names if SECRET_SETTING.search(name)} == {
        "META_ACCESS_TOKEN",
        "META_APP_SECRET",
        "META_PAGE_ACCESS_TOKEN",
        "LINKEDIN_ACCESS_TOKEN",
        "LINKEDIN_CLIENT_SECRET",
        "LINKEDIN_REFRESH_TOKEN",
        "SOCIAL_ROI_SMTP_PASSWORD",
    }


def test_an_excerpt_is_scrubbed_whole_before_it_is_cut(monkeypatch):
    monkeypatch.setenv("LINKEDIN_CLIENT_SECRET", "WPL_AP1.secret-of-the-app")
    answer = "x" * 195 + "WPL_AP1.secret-of-the-app and more"

    cut = excerpt(answer, 200)

    assert len(cut) == 200 and "WPL_AP1" not in cut and cut.endswith("[reda")


def test_an_error_message_is_scrubbed_however_it_was_formatted(monkeypatch):
    monkeypatch.setenv("META_PAGE_ACCESS_TOKEN", "EAAGpage/token=")

    error = PlatformError("facebook_pages", f"refused {urllib.parse.quote('EAAGpage/token=', safe='')}", "1")

    assert "EAAG" not in str(error) and REDACTED in str(error)


def test_a_stored_row_keeps_its_data_without_the_nested_paging_or_its_token(monkeypatch):
    monkeypatch.setenv("META_PAGE_ACCESS_TOKEN", "EAAGpagetoken")
    post = {
        "id": "1_2",
        "message": 'a post about "paging" and access',
        "insights": {
            "data": [{"name": "post_media_view", "values": [{"value": 7}]}],
            "paging": {"previous": "https://graph.facebook.com/v26.0/1_2/insights?access_token=EAAGpagetoken"},
        },
    }

    line = stored_line({"post_id": "1_2", "raw_row": json.dumps(post)}, Scrubber())

    stored = json.loads(json.loads(line)["raw_row"])
    assert stored == {**post, "insights": {"data": post["insights"]["data"]}}
    assert "EAAG" not in line


def test_a_log_line_is_scrubbed_after_its_arguments_are_formatted_in(monkeypatch, caplog):
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAABmetatoken")
    scrub_every_log_record()

    with caplog.at_level(logging.INFO):
        logging.getLogger("connectors.meta_ads.client").info(
            "asked %s?access_token=%s", "https://graph", "EAABmetatoken"
        )
        try:
            raise ValueError("the SDK quoted EAABmetatoken")
        except ValueError:
            logging.getLogger("connectors.meta_ads.client").exception("failed")

    assert caplog.records and "EAAB" not in caplog.text


# --- LinkedIn's answers that leaked, through the sandbox over HTTP ---------------------------------------------


@pytest.fixture
def refreshing_settings(sandbox) -> LinkedInAdsSettings:
    """Refresh credentials alone: the first call refreshes the access token."""
    return LinkedInAdsSettings(
        account_ids=(sandbox.advertiser.linkedin_accounts[0].id,),
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        refresh_token=SANDBOX_REFRESH_TOKEN,
        api_url=sandbox.base_url,
        oauth_url=sandbox.base_url,
        backoff=Backoff(attempts=2, base_seconds=0.01, max_seconds=0.02),
    )


def sync_first_account(settings: LinkedInAdsSettings, day) -> list[dict]:
    for _account, rows in fetch_window(settings, day, day):
        return list(rows)
    raise AssertionError("no ad account configured")


def test_a_token_refresh_answered_form_encoded_fails_without_quoting_the_new_tokens(
    sandbox, refreshing_settings, yesterday
):
    sandbox.faults.arm("linkedin", "token_answer_not_json", status=200)

    with pytest.raises(MalformedPayloadError) as raised:
        sync_first_account(refreshing_settings, yesterday)

    message = str(raised.value)
    assert sandbox.linkedin.tokens_issued == 1, "the sandbox did hand out a new access token"
    assert "not a JSON object" in message and "access_token=" in message, "the answer is still described"
    assert not [
        form
        for secret in (SANDBOX_REFRESH_TOKEN, refreshed_token(1))
        for form in encodings(secret).values()
        if form in message
    ], "neither token, in any encoding (the answer was form-encoded: `+` as %2B)"


def test_a_refused_refresh_quoting_the_secrets_at_the_cut_leaves_no_part_of_them(
    sandbox, refreshing_settings, yesterday
):
    sandbox.faults.arm("linkedin", "token_answer_not_json", status=400, at=190)

    with pytest.raises(PlatformAuthError) as raised:
        sync_first_account(refreshing_settings, yesterday)

    message = str(raised.value)
    assert "The gateway refused" in message and "LINKEDIN_REFRESH_TOKEN" in message
    assert SANDBOX_REFRESH_TOKEN[:6] not in message and SANDBOX_CLIENT_SECRET[:6] not in message


def test_a_secret_remembered_after_a_scrub_was_made_is_scrubbed_by_it_too():
    # a sync's staging scrub is made before the sync reads its Pages' tokens
    scrubbing = Scrubber()
    page_token = "EAAlateArrivingPageToken0123"

    remember(page_token)

    assert scrubbing(f'{{"note": "token {page_token}"}}') == '{"note": "token [redacted]"}'
