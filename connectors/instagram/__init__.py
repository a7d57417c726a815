"""Instagram professional accounts: daily insights, media and stories, and the follower total,
through the official facebook-business SDK (client.py)."""

from connectors.facebook_pages.client import earliest_day
from connectors.instagram import client
from connectors.instagram.client import InstagramSettings
from connectors.meta_ads.discovery import page_token_warnings
from connectors.platform import KeepSnapshots, Platform, RawTable, RestatementWindow

ACCOUNT_DAYS = RawTable[InstagramSettings](
    platform=client.PLATFORM,
    name="instagram_account_insights",
    columns=client.RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    fetch=client.fetch_window,
)
# A post's engagement accrues for about a week: re-read nightly.
MEDIA = RawTable[InstagramSettings](
    platform=client.PLATFORM,
    name="instagram_media",
    columns=client.MEDIA_COLUMNS,
    slice_column="account_id",
    date_column="published_date",
    fetch=client.fetch_media_window,
)
# Stories are read as they are live and kept once read (see client.py's docstring): rows are only
# added or, for a story still live, given its newer figures; never deleted by a later run.
STORIES = RawTable[InstagramSettings](
    platform=client.PLATFORM,
    name="instagram_stories",
    columns=client.MEDIA_COLUMNS,
    slice_column="account_id",
    date_column="published_date",
    fetch=client.fetch_live_stories,
    load=KeepSnapshots(identity_columns=("account_id", "media_id"), refresh=True),
)

PLATFORM = Platform[InstagramSettings](
    name=client.PLATFORM,
    settings_from_env=InstagramSettings.from_env,
    credentials_hint=client.CREDENTIALS_HINT,
    tables=(ACCOUNT_DAYS, MEDIA, STORIES),
    check=client.check_access,
    credential_warnings=page_token_warnings,
    # "Data used to calculate metrics may be delayed up to 48 hours" (Account Insights reference, "Limitations"),
    # and the nightly sync has one window per platform, which the media need for the week their engagement
    # keeps arriving: 7 days nightly; weekly 28 days, as for the Facebook Pages.
    restatement=RestatementWindow(nightly_days=7, weekly_days=28),
    token_settings=client.TOKEN_SETTINGS,
    setting_names=client.SETTING_NAMES,
    # Instagram keeps two years as Facebook Pages do ("Metrics data is stored for up to 2 years", Media Insights
    # reference, "Limitations"): a backfill leaves older stored days, and the media published on them, as loaded.
    earliest_day=earliest_day,
    follower_totals=client.fetch_follower_totals,
    channel="instagram",
    display_name="Instagram",
    sandbox="connectors.sandbox.instagram",
)
