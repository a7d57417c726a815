"""The platforms the pipeline ingests, in the order a sync fetches them."""

from connectors import ga4, meta_ads
from connectors.source import RawSource

RAW_SOURCES: tuple[RawSource, ...] = (meta_ads.SOURCE, ga4.SOURCE)
