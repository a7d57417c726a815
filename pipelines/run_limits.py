"""What a team's run queue limits runs by (deploy/dagster.yaml): one run at a time per client's warehouse, and
two syncs at a time per platform token, while other clients' runs go side by side.

- **The warehouse pool.** Every step that opens the warehouse is in one Dagster pool (`pool=` on the assets):
  `warehouse` for a single advertiser, `warehouse/<client>` in a client's code location
  (pipelines/client_locations.py). With `granularity: run` and `default_limit: 1`, a run holds each pool
  its steps use from its start to its end, so two runs of one client never interleave (a sync's ingestion,
  its models' run, a backfill, the report), however they were launched: a pool belongs to the steps
  themselves, the UI's "Materialize" included. Two clients' pools are two pools.
- **The token tags.** A sync run carries, for each platform it calls, a tag `social_roi/token/<platform>`
  whose value is a fingerprint of the credential it calls with (`Platform.token_settings`). The queue's
  `tag_concurrency_limits` with `applyLimitPerUniqueValue` start at most two runs per fingerprint at a time:
  the limits a token's callers share (Meta's app and user usage, LinkedIn's daily limits per application
  and member, GA4's concurrent requests per project; platform-apis.md) are paced by the connectors from
  what the platform reports to each caller, and two callers at once is what that pacing is tested with
  (tests/test_side_by_side.py). Only the sync job calls platforms and carries the tags; the models' runs
  that follow are not held by them. A raw asset materialized from the UI outside the sync job runs in its
  client's pool but without these tags (Dagster gives a code location no run tags of its own): launch the
  sync job to have them.

A fingerprint is the first 16 hex digits of the SHA-256 of the credential's value: equal for two clients
that share a token, and not the token (run tags are stored and shown in the UI, like the rest of a run's
record, which never holds a secret). A credentials file (GA4's) is fingerprinted by its path, which every
machine of the team sets alike (deploy/README.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from connectors.platform import Platform
from connectors.registry import PLATFORMS
from pipelines.settings import CLIENT

WAREHOUSE_POOL = "warehouse"
TOKEN_TAG_PREFIX = "social_roi/token/"


def warehouse_pool(env: Mapping[str, str] = os.environ) -> str:
    """The pool of every step that opens this process's warehouse: one per client."""
    client = (env.get(CLIENT) or "").strip()
    return f"{WAREHOUSE_POOL}/{client}" if client else WAREHOUSE_POOL


def token_tag(platform: Platform) -> str:
    return TOKEN_TAG_PREFIX + platform.name


def limited_platforms(platforms: tuple[Platform, ...] = PLATFORMS) -> list[Platform]:
    """The platforms whose calls count against a credential of the user's: one token tag each."""
    return [platform for platform in platforms if platform.token_settings]


def token_tags(env: Mapping[str, str] = os.environ, platforms: tuple[Platform, ...] = PLATFORMS) -> dict[str, str]:
    """A sync run's tags: each platform's credential as this environment sets it, fingerprinted. A platform
    without a credential set gets no tag (it is not called, or calls as no one in particular)."""
    tags = {}
    for platform in limited_platforms(platforms):
        credential = next((value for name in platform.token_settings if (value := (env.get(name) or "").strip())), None)
        if credential is not None:
            tags[token_tag(platform)] = hashlib.sha256(credential.encode()).hexdigest()[:16]
    return tags
