"""Facebook Pages: a Page's daily insights, its posts and its follower total, through the official
facebook-business SDK (client.py)."""

from connectors.facebook_pages import client
from connectors.facebook_pages.client import FacebookPagesSettings
from connectors.meta_ads.discovery import page_token_warnings
from connectors.platform import Platform, RawTable, RestatementWindow

PAGE_DAYS = RawTable[FacebookPagesSettings](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=client.RAW_COLUMNS,
    slice_column="page_id",
    date_column="date",
    fetch=client.fetch_window,
)
# A post's lifetime figures keep growing for about a week after it is published: the posts of those
# days are fetched again every night and replaced whole.
POSTS = RawTable[FacebookPagesSettings](
    platform=client.PLATFORM,
    name=client.POSTS_TABLE,
    columns=client.POSTS_COLUMNS,
    slice_column="page_id",
    date_column="published_date",
    fetch=client.fetch_posts,
)

PLATFORM = Platform[FacebookPagesSettings](
    name=client.PLATFORM,
    settings_from_env=FacebookPagesSettings.from_env,
    credentials_hint="META_PAGE_IDS and META_PAGE_ACCESS_TOKEN (or META_ACCESS_TOKEN)",
    tables=(PAGE_DAYS, POSTS),
    check=client.check_access,
    credential_warnings=page_token_warnings,
    # Engagement and views keep accruing for days after a post is published, and Meta recomputes a day's values
    # from later collections ("The values for period are calculated from the initial collection of the data
    # point", "Most metrics will update once every 24 hours": developers.facebook.com/docs/graph-api/reference/
    # insights, "Limitations"): 7 days nightly (the week a post's engagement keeps arriving, shared with the
    # posts), 28 (Meta's longest daily window, days_28) weekly.
    restatement=RestatementWindow(nightly_days=7, weekly_days=28),
    token_settings=client.TOKEN_SETTINGS,
    setting_names=client.SETTING_NAMES,
    earliest_day=client.earliest_day,
    follower_totals=client.fetch_follower_totals,
    channel="facebook",
    display_name="Facebook",
    sandbox="connectors.sandbox.facebook_pages",
)
