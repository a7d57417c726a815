"""Where a token may travel: every URL setting that carries a token to a platform accepts plain
http:// only to this machine (the sandbox), so a leftover sandbox `export` never sends a real token
in clear text."""

from __future__ import annotations

import pytest

from connectors.errors import PlatformConfigError
from connectors.facebook_pages.client import FacebookPagesSettings
from connectors.ga4.client import Ga4Settings
from connectors.instagram.client import InstagramSettings
from connectors.linkedin_ads.client import LinkedInAdsSettings
from connectors.linkedin_pages.client import LinkedInPagesSettings
from connectors.meta_ads.settings import MetaAdsSettings

# Each platform's settings, complete but for the URL setting under test.
CONFIGURED = {
    "META_GRAPH_URL": [
        (MetaAdsSettings, {"META_ACCESS_TOKEN": "system-user-token", "META_AD_ACCOUNT_IDS": "act_123"}),
        (FacebookPagesSettings, {"META_PAGE_IDS": "123", "META_PAGE_ACCESS_TOKEN": "page-token"}),
        (InstagramSettings, {"INSTAGRAM_ACCOUNT_IDS": "17841400000000001", "META_PAGE_ACCESS_TOKEN": "page-token"}),
    ],
    "LINKEDIN_API_URL": [
        (LinkedInAdsSettings, {"LINKEDIN_ACCESS_TOKEN": "member-token", "LINKEDIN_AD_ACCOUNT_IDS": "123"}),
        (LinkedInPagesSettings, {"LINKEDIN_ACCESS_TOKEN": "member-token", "LINKEDIN_ORGANIZATION_IDS": "123"}),
    ],
    "LINKEDIN_OAUTH_URL": [
        (LinkedInAdsSettings, {"LINKEDIN_ACCESS_TOKEN": "member-token", "LINKEDIN_AD_ACCOUNT_IDS": "123"}),
        (LinkedInPagesSettings, {"LINKEDIN_ACCESS_TOKEN": "member-token", "LINKEDIN_ORGANIZATION_IDS": "123"}),
    ],
    "GA4_API_URL": [(Ga4Settings, {"GA4_PROPERTY_IDS": "123"})],
}
CASES = [(name, settings, env) for name, platforms in CONFIGURED.items() for settings, env in platforms]


def case_id(case) -> str:
    return f"{case[1].__name__}-{case[0]}" if isinstance(case, tuple) else str(case)


@pytest.mark.parametrize(("setting", "settings", "env"), CASES, ids=[case_id(case) for case in CASES])
@pytest.mark.parametrize("url", ["http://graph.example.com", "HTTP://10.0.0.5:8765/", "http://127.0.0.1.nip.io:80"])
def test_plain_http_to_another_host_is_refused_naming_the_setting(setting, settings, env, url):
    with pytest.raises(PlatformConfigError) as refused:
        settings.from_env({**env, setting: url})

    assert f"{setting}=" in str(refused.value) and "use https://" in str(refused.value)


@pytest.mark.parametrize(("setting", "settings", "env"), CASES, ids=[case_id(case) for case in CASES])
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://127.8.9.10:8765/", "http://localhost:8765", "http://[::1]:8765"]
)
def test_plain_http_to_this_machine_and_https_anywhere_are_accepted(setting, settings, env, url):
    on_this_machine = settings.from_env({**env, setting: url})
    over_tls = settings.from_env({**env, setting: "https://proxy.example.com/"})

    assert url.rstrip("/") in repr(on_this_machine) and "https://proxy.example.com'" in repr(over_tls)
