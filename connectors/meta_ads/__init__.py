"""Meta Ads: daily ad insights per ad account, through the official facebook-business SDK.

client.py reads the insights and lands Graph's pages as sent; pages.sql is what DuckDB parses them
with; parsing.py holds the row-by-row reading of the same pages the tests compare pages.sql with.
"""

from connectors.meta_ads import client
from connectors.meta_ads.client import LANDED_PAGES_SQL
from connectors.meta_ads.discovery import ad_token_warnings
from connectors.meta_ads.settings import MetaAdsSettings
from connectors.platform import ParsePages, Platform, RawTable, RestatementWindow

INSIGHTS = RawTable[MetaAdsSettings](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=client.RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    fetch=client.fetch_window,
    load=ParsePages(sql=LANDED_PAGES_SQL, row_key=("date", "campaign_id", "ad_id")),
)

PLATFORM = Platform[MetaAdsSettings](
    name=client.PLATFORM,
    settings_from_env=MetaAdsSettings.from_env,
    credentials_hint="META_ACCESS_TOKEN and META_AD_ACCOUNT_IDS",
    tables=(INSIGHTS,),
    check=client.check_access,
    credential_warnings=ad_token_warnings,
    # Meta credits conversions up to 7 days after a click by default (28 with a 28-day attribution
    # setting): https://www.facebook.com/business/help/458681590974355
    restatement=RestatementWindow(nightly_days=7, weekly_days=28),
    token_settings=("META_ACCESS_TOKEN",),
    setting_names=(
        "META_ACCESS_TOKEN",
        "META_APP_ID",
        "META_APP_SECRET",
        "META_AD_ACCOUNT_IDS",
        "META_GRAPH_URL",
        "META_INSIGHTS_LEVEL",
        "META_POLL_INTERVAL_SECONDS",
        "META_USAGE_WINDOW_SECONDS",
    ),
    channel=client.CHANNEL,
    display_name="Meta",
    sandbox="connectors.sandbox.meta_ads",
)
