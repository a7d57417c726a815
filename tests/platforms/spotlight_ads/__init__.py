"""Spotlight Ads, an ad platform that exists only in the tests: what a fourth ad platform's package
holds. Installed as connectors/spotlight_ads/ in a scratch copy of the project
(tests/test_adding_a_platform.py), it is registered with one line in connectors/registry.py."""

from connectors.platform import Platform, RawTable, RestatementWindow

# relative: the same files are tests/platforms/spotlight_ads here and connectors/spotlight_ads once installed
from . import client
from .client import SpotlightSettings

CAMPAIGN_DAYS = RawTable[SpotlightSettings](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=client.RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    fetch=client.fetch_window,
)

PLATFORM = Platform[SpotlightSettings](
    name=client.PLATFORM,
    settings_from_env=SpotlightSettings.from_env,
    credentials_hint="SPOTLIGHT_ACCESS_TOKEN and SPOTLIGHT_ACCOUNT_IDS",
    tables=(CAMPAIGN_DAYS,),
    check=client.check_access,
    # Spotlight credits a purchase up to 3 days after the click.
    restatement=RestatementWindow(nightly_days=3, weekly_days=7),
    setting_names=("SPOTLIGHT_ACCESS_TOKEN", "SPOTLIGHT_ACCOUNT_IDS", "SPOTLIGHT_API_URL"),
    channel="spotlight",
    display_name="Spotlight",
    sandbox="connectors.spotlight_ads.sandbox",
)
