"""The nightly follower snapshot of every organic account (client.py): the follower totals of
every platform that declares `follower_totals`, kept forever."""

from typing import Any

from connectors.follower_snapshots import client
from connectors.platform import KeepSnapshots, Platform, RawTable

SNAPSHOTS = RawTable[dict[str, Any]](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=client.RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    fetch=client.fetch_snapshots,
    load=KeepSnapshots(identity_columns=("platform", "account_id", "date")),
)

PLATFORM = Platform[dict[str, Any]](
    name=client.PLATFORM,
    settings_from_env=client.settings_from_env,
    credentials_hint=client.CREDENTIALS_HINT,
    tables=(SNAPSHOTS,),
)
