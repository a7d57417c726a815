"""What a team's run queue limits runs by (deploy/dagster.yaml): one run at a time per client's warehouse, and
two syncs at a time per platform credential, while other clients' runs go side by side.

- **The warehouse pool.** Every step that opens the warehouse is in one Dagster pool (`pool=` on the assets):
  `warehouse` for a single advertiser, `warehouse/<client>` in a client's code location
  (pipelines/client_locations.py). With `granularity: run` and `default_limit: 1`, a run holds each pool
  its steps use from its start to its end, so two runs of one client never interleave (a sync's ingestion,
  its models' run, a backfill, the report), however they were launched: a pool belongs to the steps
  themselves, the UI's "Materialize" included.
- **The same pool as a run tag**, `social_roi/warehouse_pool`, on every run of our jobs, limited to one run
  per value. Dagster's daemon checks a queued run's tag limits first and counts it against them before
  it looks at pools (dagster/_daemon/run_coordinator/queued_run_coordinator_daemon.py): a client's second
  sync, held back by its pool, would otherwise take a slot of its token from another client's sync. And a
  pool the daemon has not seen yet has no limit in its first pass (it reads the known pools before it
  creates the new one's), where a tag limit holds from the first run.
- **The credential tags.** A sync run carries, for each platform it calls, a tag
  `social_roi/<platform>_token` whose value is a fingerprint of the credential its limits count against
  (`Platform.token_settings`: LinkedIn's application when its client id is set, else the access token; Meta's
  token; GA4's key file). The queue's `tag_concurrency_limits` with `applyLimitPerUniqueValue` start at most
  two runs per fingerprint (deploy/dagster.yaml says why two). Only the sync job calls platforms and
  carries these; the models' runs that follow are not held by them. A raw asset materialized from the UI
  outside the sync job runs in its client's pool but without any tag (Dagster gives a code location no run
  tags of its own): launch the sync job to have them.

A fingerprint is the first 16 hex digits of the SHA-256 of the credential's value: equal for two clients
that share a token, and not the token (run tags are stored and shown in the UI, like the rest of a run's
record, which never holds a secret). GA4's key file is fingerprinted by its path: two machines that keep
one key at two paths count it twice. GA4 signed in through `gcloud` (no key file set) gets no tag.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from connectors.platform import Platform
from connectors.registry import PLATFORMS
from pipelines.settings import CLIENT

WAREHOUSE_POOL = "warehouse"
# Run tags' keys: Dagster's own check wants at most one prefix ("social_roi/"), so the platform goes in the name.
WAREHOUSE_POOL_TAG = "social_roi/warehouse_pool"
TOKEN_TAG_SUFFIX = "_token"


def warehouse_pool(env: Mapping[str, str] = os.environ) -> str:
    """The pool of every step that opens this process's warehouse: one per client."""
    client = (env.get(CLIENT) or "").strip()
    return f"{WAREHOUSE_POOL}/{client}" if client else WAREHOUSE_POOL


def warehouse_tags(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Every job's runs carry their warehouse pool as a tag too, limited to one run per value: see the module's
    docstring for why the pool alone does not do."""
    return {WAREHOUSE_POOL_TAG: warehouse_pool(env)}


def token_tag(platform: Platform) -> str:
    return f"social_roi/{platform.name}{TOKEN_TAG_SUFFIX}"


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
