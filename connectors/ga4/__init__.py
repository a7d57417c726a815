"""Google Analytics 4: a property's daily traffic and key events, through the official
google-analytics-data client (client.py)."""

from connectors.ga4 import client
from connectors.ga4.client import KEY_EVENTS_REPORT, TRAFFIC_REPORT, Ga4Settings
from connectors.platform import Platform, RawTable, RestatementWindow

TRAFFIC = RawTable[Ga4Settings](
    platform=client.PLATFORM,
    name=TRAFFIC_REPORT.table,
    columns=TRAFFIC_REPORT.columns,
    slice_column="property_id",
    date_column="date",
    fetch=client.fetch_window,
)
KEY_EVENTS = RawTable[Ga4Settings](
    platform=client.PLATFORM,
    name=KEY_EVENTS_REPORT.table,
    columns=KEY_EVENTS_REPORT.columns,
    slice_column="property_id",
    date_column="date",
    fetch=client.fetch_key_events_window,
)

PLATFORM = Platform[Ga4Settings](
    name=client.PLATFORM,
    settings_from_env=Ga4Settings.from_env,
    credentials_hint="GA4_PROPERTY_IDS (and GOOGLE_APPLICATION_CREDENTIALS)",
    tables=(TRAFFIC, KEY_EVENTS),
    check=client.check_access,
    # GA4 finishes processing a day within 24-48 hours (data freshness:
    # https://support.google.com/analytics/answer/11198161).
    restatement=RestatementWindow(nightly_days=3, weekly_days=3),
    # the service account's key file (its quotas count per project and property)
    token_settings=("GOOGLE_APPLICATION_CREDENTIALS",),
    setting_names=("GA4_PROPERTY_IDS", "GOOGLE_APPLICATION_CREDENTIALS", "GA4_API_URL", "GA4_GRPC_TARGET"),
    channel=client.PLATFORM,
    display_name="GA4",
    sandbox="connectors.sandbox.ga4",
)
