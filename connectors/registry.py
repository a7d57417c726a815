"""The platforms the pipeline ingests, in the order a sync fetches them: the one list of platforms.

The raw assets, `social-roi check`, the settings table's test, the nightly windows, the sandbox
server and the report's channel names all read it. Adding a platform is its package under
connectors/ (see README, "Adding a platform") and its line here.
"""

from connectors import (
    facebook_pages,
    follower_snapshots,
    fx_rates,
    ga4,
    instagram,
    linkedin_ads,
    linkedin_pages,
    meta_ads,
)
from connectors.platform import Platform, RawTable

PLATFORMS: tuple[Platform, ...] = (
    meta_ads.PLATFORM,
    facebook_pages.PLATFORM,
    instagram.PLATFORM,
    linkedin_ads.PLATFORM,
    linkedin_pages.PLATFORM,
    ga4.PLATFORM,
    follower_snapshots.PLATFORM,
    fx_rates.PLATFORM,
)


def raw_tables(platforms: tuple[Platform, ...] = PLATFORMS) -> list[tuple[Platform, RawTable]]:
    """Every raw table with the platform that declares it, in sync order."""
    return [(platform, table) for platform in platforms for table in platform.tables]
