"""The platforms the pipeline ingests, in the order a sync fetches them: the one list of platforms.

The raw assets, `social-roi check`, the settings table's test, the nightly windows, the sandbox
server and the report's channel names all read it. Adding a platform is its package under
connectors/ (README, "Adding a platform") and its line here: each package's __init__.py declares
its `PLATFORM`.
"""

import importlib

from connectors.discovery import Connection
from connectors.platform import Platform, RawTable

PACKAGES = (
    "meta_ads",
    "facebook_pages",
    "instagram",
    "linkedin_ads",
    "linkedin_pages",
    "ga4",
    "follower_snapshots",
    "fx_rates",
)

PLATFORMS: tuple[Platform, ...] = tuple(
    importlib.import_module(f"connectors.{package}").PLATFORM for package in PACKAGES
)


def raw_tables(platforms: tuple[Platform, ...] = PLATFORMS) -> list[tuple[Platform, RawTable]]:
    """Every raw table with the platform that declares it, in sync order."""
    return [(platform, table) for platform in platforms for table in platform.tables]


# The logins `social-roi connect` finds accounts through (connectors/discovery.py), each in the package of
# the platform whose credentials it reads: Meta's token serves its Pages and Instagram too, LinkedIn's its pages.
CONNECTION_PACKAGES = ("meta_ads", "linkedin_ads", "ga4")


def connections() -> tuple[Connection, ...]:
    """Every login, in sync order; imported when asked for (the GA4 admin client is only connect's)."""
    return tuple(
        importlib.import_module(f"connectors.{package}.discovery").CONNECTION for package in CONNECTION_PACKAGES
    )
