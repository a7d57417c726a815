"""The platforms the pipeline ingests, in the order a sync fetches them."""

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
from connectors.source import RawSource

RAW_SOURCES: tuple[RawSource, ...] = (
    meta_ads.SOURCE,
    facebook_pages.SOURCE,
    facebook_pages.POSTS_SOURCE,
    instagram.SOURCE,
    instagram.POSTS_SOURCE,
    instagram.STORIES_SOURCE,
    linkedin_ads.SOURCE,
    linkedin_ads.CONVERSIONS_SOURCE,
    linkedin_pages.SOURCE,
    linkedin_pages.POSTS_SOURCE,
    ga4.SOURCE,
    ga4.KEY_EVENTS_SOURCE,
    follower_snapshots.SOURCE,
    fx_rates.SOURCE,
)
