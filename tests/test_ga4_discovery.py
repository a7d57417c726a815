"""`social-roi connect ga4`'s listing: the official Admin API client against the sandbox over HTTP, and
the messages a new user meets before anything is listed."""

import json

import pytest

from conftest import sandbox_settings
from connectors.errors import PlatformConfigError
from connectors.ga4 import PLATFORM
from connectors.ga4.discovery import CONNECTION, discover
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale
from connectors.sandbox.ga4_admin import SANDBOX_PROJECT_NUMBER, UNSHARED_PROPERTY_ID
from pipelines.check import FAILED, OK, check_platform

SERVICE_ACCOUNT = "social-roi@nordlys-analytics.iam.gserviceaccount.com"
# Not a key: what a key file's private_key looks like, to prove no message quotes it.
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDnot4key\n-----END PRIVATE KEY-----\n"


def key_file(tmp_path, **fields) -> str:
    """A service-account key file as Google Cloud's console downloads it (its private key is no key)."""
    key = {
        "type": "service_account",
        "project_id": "nordlys-analytics",
        "private_key_id": "0123456789abcdef",
        "private_key": PRIVATE_KEY,
        "client_email": SERVICE_ACCOUNT,
        "client_id": "112233445566778899",
        "token_uri": "https://oauth2.googleapis.com/token",
        **fields,
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(key))
    return str(path)


def test_connect_lists_each_property_with_its_ga4_account_currency_and_time_zone(sandbox):
    discovery = discover(sandbox_settings(sandbox))

    prop = sandbox.advertiser.ga4_property
    [found] = discovery.found
    assert (found.platform, found.setting, found.id, found.kind) == (
        "ga4",
        "GA4_PROPERTY_IDS",
        f"properties/{prop.id}",
        "property",
    )
    assert (found.name, found.parent) == ("Nordlys Outdoor – web shop", "Nordlys Outdoor")
    assert (found.currency, found.time_zone, found.problem) == ("NOK", "Europe/Oslo", None)
    assert discovery.warnings == ()


def test_connect_follows_every_page_of_accounts():
    # Three agency clients beside the advertiser, each in a GA4 account of its own; one account a page.
    with Sandbox(seed=7, agency=AgencyScale(2, 1, 4, campaigns_per_account=0)) as agency:
        agency.ga4.admin.page_size_cap = 1

        discovery = discover(sandbox_settings(agency))

        assert [found.id for found in discovery.found] == [
            f"properties/{p.id}" for p in agency.advertiser.ga4_properties
        ]
        assert [found.parent for found in discovery.found] == [
            "Nordlys Outdoor",
            "Agency client 01",
            "Agency client 02",
            "Agency client 03",
        ]
        assert all(found.currency == "NOK" and found.time_zone == "Europe/Oslo" for found in discovery.found)
        assert agency.ga4.admin.summary_pages_served == 4


def test_every_property_connect_lists_passes_the_check_a_sync_relies_on(sandbox):
    env = sandbox_settings(sandbox)
    ids = ",".join(found.id for found in discover(env).found)

    lines = check_platform(PLATFORM, {**env, "GA4_PROPERTY_IDS": ids})

    assert [(line.target, line.status) for line in lines] == [(f"properties/{sandbox.advertiser.ga4_property.id}", OK)]


def test_a_property_not_shared_with_the_service_account_fails_its_check_naming_the_address_to_add_as_viewer(
    sandbox, tmp_path
):
    env = {
        **sandbox_settings(sandbox),
        "GA4_PROPERTY_IDS": UNSHARED_PROPERTY_ID,
        "GOOGLE_APPLICATION_CREDENTIALS": key_file(tmp_path),
    }
    assert f"properties/{UNSHARED_PROPERTY_ID}" not in {found.id for found in discover(env).found}

    [line] = check_platform(PLATFORM, env)

    assert (line.target, line.status) == (f"properties/{UNSHARED_PROPERTY_ID}", FAILED)
    detail = line.detail or ""
    assert f"Add {SERVICE_ACCOUNT} as a Viewer" in detail and "Property access management" in detail
    assert "PRIVATE KEY" not in detail


def test_the_admin_api_not_enabled_in_the_cloud_project_says_where_to_enable_it(sandbox):
    sandbox.faults.arm("ga4", "admin_api_disabled", times=None)

    with pytest.raises(PlatformConfigError) as raised:
        discover(sandbox_settings(sandbox))

    message = str(raised.value)
    assert "Google Analytics Admin API is not enabled" in message and SANDBOX_PROJECT_NUMBER in message
    assert (
        f"https://console.developers.google.com/apis/api/analyticsadmin.googleapis.com/overview?project={SANDBOX_PROJECT_NUMBER}"
        in message
    )
    assert raised.value.__context__ is None


@pytest.mark.parametrize(
    "contents, why",
    [
        (None, "there is no such file"),
        ("this is not JSON", "not a key file Google accepts"),
        (
            json.dumps({"type": "service_account", "client_email": SERVICE_ACCOUNT, "private_key": PRIVATE_KEY}),
            "not a key file Google accepts",
        ),
    ],
    ids=["missing", "not-json", "broken-key"],
)
def test_a_key_file_that_cannot_be_used_names_the_setting_and_never_its_key(tmp_path, contents, why):
    path = tmp_path / "key.json"
    if contents is not None:
        path.write_text(contents)

    with pytest.raises(PlatformConfigError, match="GOOGLE_APPLICATION_CREDENTIALS") as raised:
        discover({"GOOGLE_APPLICATION_CREDENTIALS": str(path)})

    assert why in str(raised.value) and str(path) in str(raised.value)
    assert "PRIVATE KEY" not in str(raised.value) and raised.value.__context__ is None


def test_no_google_credentials_at_all_says_how_to_provide_them(tmp_path, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud login here
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # google-auth's switch: not on Google Cloud, don't probe

    with pytest.raises(
        PlatformConfigError, match="GOOGLE_APPLICATION_CREDENTIALS.*gcloud auth application-default login"
    ):
        discover({})


def test_the_sandbox_over_grpc_alone_says_to_set_its_http_address_instead():
    with pytest.raises(PlatformConfigError, match="GA4_API_URL"):
        discover({"GA4_GRPC_TARGET": "127.0.0.1:50051"})


def test_connect_ga4_runs_on_the_sandbox_address_alone_or_on_a_key_file(sandbox, tmp_path):
    no_gcloud_login = {"HOME": str(tmp_path)}

    assert CONNECTION.configured({**no_gcloud_login, "GA4_API_URL": sandbox.base_url})
    assert CONNECTION.configured({**no_gcloud_login, "GOOGLE_APPLICATION_CREDENTIALS": key_file(tmp_path)})
    assert not CONNECTION.configured(no_gcloud_login)
    assert not CONNECTION.configured({**no_gcloud_login, "GA4_API_URL": "https://analyticsdata.googleapis.com"})
    assert CONNECTION.platforms == ("ga4",) and "GOOGLE_APPLICATION_CREDENTIALS" in CONNECTION.credentials_hint
