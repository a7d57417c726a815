"""LinkedIn organization pages: daily page statistics, posts and the follower total, over
LinkedIn's REST API with requests (client.py)."""

from connectors.linkedin_pages import client
from connectors.linkedin_pages.client import LinkedInPagesSettings
from connectors.platform import Platform, RawTable, RestatementWindow

ORGANIZATION_DAYS = RawTable[LinkedInPagesSettings](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=client.RAW_COLUMNS,
    slice_column="organization_id",
    date_column="date",
    fetch=client.fetch_window,
)
# A post's lifetime figures keep growing for about a week after it is published, so the posts of the
# last 7 days are fetched again every night.
POSTS = RawTable[LinkedInPagesSettings](
    platform=client.PLATFORM,
    name=client.POSTS_RAW_TABLE,
    columns=client.POSTS_RAW_COLUMNS,
    slice_column="organization_id",
    date_column="published_date",
    fetch=client.fetch_posts,
)

PLATFORM = Platform[LinkedInPagesSettings](
    name=client.PLATFORM,
    settings_from_env=LinkedInPagesSettings.from_env,
    credentials_hint=client.CREDENTIALS_HINT,
    tables=(ORGANIZATION_DAYS, POSTS),
    check=client.check_access,
    credential_warnings=client.token_warnings,
    # A day's statistics are complete about two days later (Airbyte's manifest: the range must end "atleast 2
    # days prior to the request date"), and a post's engagement keeps arriving for a week: the nightly sync has
    # one window per platform, so both tables take the posts' 7 days; 28 weekly.
    restatement=RestatementWindow(nightly_days=7, weekly_days=28),
    # One LinkedIn app for ads and pages: its daily limits count per application when it is named, else per token,
    # as for linkedin_ads (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits)
    token_settings=("LINKEDIN_CLIENT_ID", "LINKEDIN_ACCESS_TOKEN"),
    setting_names=client.SETTING_NAMES,
    earliest_day=client.earliest_day,
    follower_totals=client.fetch_follower_totals,
    channel="linkedin",
    display_name="LinkedIn",
    sandbox="connectors.sandbox.linkedin_pages",
)
