"""LinkedIn Ads: daily campaign analytics and conversions per ad account, over LinkedIn's
Marketing REST API with requests (client.py; the answers are read by parsing.py)."""

from connectors.linkedin_ads import client, parsing
from connectors.linkedin_ads.client import LinkedInAdsSettings
from connectors.platform import Platform, RawTable, RestatementWindow

ANALYTICS = RawTable[LinkedInAdsSettings](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=parsing.RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    fetch=client.fetch_window,
)
# Conversions are revised as long as the campaign figures they belong to: one window for both.
CONVERSIONS = RawTable[LinkedInAdsSettings](
    platform=client.PLATFORM,
    name=client.CONVERSIONS_RAW_TABLE,
    columns=parsing.CONVERSIONS_RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    fetch=client.fetch_conversions_window,
)

PLATFORM = Platform[LinkedInAdsSettings](
    name=client.PLATFORM,
    settings_from_env=LinkedInAdsSettings.from_env,
    credentials_hint=client.CREDENTIALS_HINT,
    tables=(ANALYTICS, CONVERSIONS),
    check=client.check_access,
    credential_warnings=client.token_warnings,
    # LinkedIn's conversion window is 30 days by default and it revises reach and conversions for
    # weeks; 90 days keeps a weekly request within its 92-day reach limit.
    restatement=RestatementWindow(nightly_days=14, weekly_days=90),
    # LinkedIn counts its daily limits per application and per member: the application when it is named,
    # else the token (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits)
    token_settings=("LINKEDIN_CLIENT_ID", "LINKEDIN_ACCESS_TOKEN"),
    setting_names=(
        "LINKEDIN_AD_ACCOUNT_IDS",
        "LINKEDIN_ACCESS_TOKEN",
        "LINKEDIN_CLIENT_ID",
        "LINKEDIN_CLIENT_SECRET",
        "LINKEDIN_REFRESH_TOKEN",
        "LINKEDIN_API_VERSION",
        "LINKEDIN_API_URL",
        "LINKEDIN_OAUTH_URL",
    ),
    channel="linkedin",
    display_name="LinkedIn",
    sandbox="connectors.sandbox.linkedin_ads",
)
