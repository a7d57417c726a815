"""What the pipeline needs to know about a platform to land it in the warehouse, and nothing more.

Each connector module exports one `RawSource`. The orchestration layer builds one raw asset per
source from a shared factory, so adding a platform means adding a connector, not pipeline code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

from connectors.errors import PlatformError

# One fetched slice: the account (or property) id and its records for the requested window: dicts in
# the raw table's columns, or, for a source with `pages_sql`, lines of JSON each holding one response
# page as the platform sent it. An iterator, so that a slice is streamed page by page, never held whole.
SliceRecords = tuple[str, Iterator[dict] | Iterator[str]]
# One slice of a records source, and of a page source.
RecordSlice = tuple[str, Iterator[dict]]
PageSlice = tuple[str, Iterator[str]]

# A connector's own settings (a frozen dataclass read from the environment): each source is typed
# with its own, so its `fetch` and `check` are checked against what its `settings_from_env` returns.
SettingsT = TypeVar("SettingsT")


class Client(Protocol):
    """What the shared loops need of a connector's API client: that it can be closed."""

    def close(self) -> None: ...


ClientT = TypeVar("ClientT", bound=Client)
# A fetch's window: its first and last day, or None for both where the platform serves only what
# stands now (follower totals, live stories).
WindowT = TypeVar("WindowT", dt.date, None)
RecordsT = TypeVar("RecordsT", Iterator[dict], Iterator[str])


@dataclasses.dataclass(frozen=True)
class CheckWarning:
    """A check finding that does not fail tonight's sync but needs doing soon (an API version close
    to its sunset): `social-roi check` prints it as a WARNING line and still exits 0."""

    message: str


# One credential check: the account (or setting) as the user writes it, and None (fine), the error
# message (fails), or a CheckWarning.
AccessCheck = tuple[str, str | CheckWarning | None]


@dataclasses.dataclass(frozen=True)
class RestatementWindow:
    """How many days before yesterday a platform still revises its figures: re-fetched every night,
    and on the weekly pass (which catches the slow restatements)."""

    nightly_days: int
    weekly_days: int


@dataclasses.dataclass(frozen=True)
class RawSource(Generic[SettingsT]):
    platform: str
    table: str  # raw.<table> in the warehouse
    columns: Mapping[str, str]  # column name → DuckDB type, in load order
    slice_column: str  # the account/property column: a sync replaces (slice, day) ranges
    date_column: str
    credentials_hint: str  # which settings turn this platform on, for the "skipped" log line
    settings_from_env: Callable[[Mapping[str, str]], SettingsT | None]  # None when the platform is not configured
    fetch: Callable[[SettingsT, dt.date, dt.date], Iterator[SliceRecords]]
    # Days before the window to fetch (and replace) as well: reference data such as exchange
    # rates, whose first days need the last value published before them.
    lookback_days: int = 0
    # `social-roi check`: one cheap read-only call per account, yielding (account, None) when it
    # answered and (account, what to fix) when not, and (setting, CheckWarning) for what needs doing
    # soon. None for sources with no credentials to test.
    check: Callable[[SettingsT], Iterator[AccessCheck]] | None = None
    # The days the nightly sync re-fetches. None: reference data that is fetched over the run's
    # whole range (it is small and is never revised).
    restatement: RestatementWindow | None = None
    # Every environment variable the connector reads: the README's settings table must list them all
    # (tests/test_settings.py).
    setting_names: tuple[str, ...] = ()
    # Public reference data (exchange rates) rather than a platform of the user's: it alone does
    # not make a sync worth running.
    reference_data: bool = False
    # The first day the platform still serves, given today (LinkedIn's page statistics: 12 months back).
    # A run asking for earlier days fetches and replaces only from that day: what the warehouse holds
    # before it stays as loaded. None: the platform's history reaches as far as anyone backfills.
    earliest_day: Callable[[dt.date], dt.date] | None = None
    # Rows no platform can give again (a follower total as it stood when the sync ran): a sync
    # inserts the (identity) rows not held yet and never deletes or rewrites one, so the record
    # outlives the platform's own history.
    snapshots: bool = False
    # In snapshot mode, a row fetched again replaces the held one with the same identity (its newer
    # figures), while held rows not fetched stay as they are: for things a platform serves only for
    # a while and that change meanwhile (an Instagram story's figures while it is live, 24 hours).
    refresh_snapshots: bool = False
    # What makes a row the same row, in snapshot mode: by default (slice, day).
    identity_columns: tuple[str, ...] = ()
    # The source lands response pages, not records: this SELECT, run by DuckDB on one slice's landed
    # file (its one parameter), parses, casts and checks the rows. It returns `columns` and `problem`
    # (the error message for a malformed row, NULL for a good one). A slice with any problem is not
    # loaded, and its earlier rows stay.
    pages_sql: str | None = None
    # What makes a row one row within a slice, for a page source: pages that hold one twice fail
    # the slice rather than count it twice.
    row_key: tuple[str, ...] = ()

    @property
    def identity(self) -> tuple[str, ...]:
        return self.identity_columns or (self.slice_column, self.date_column)


def fetch_slices(
    client: ClientT,
    slice_ids: Iterable[str],
    fetch_slice: Callable[[ClientT, str, WindowT, WindowT], RecordsT],
    since: WindowT,
    until: WindowT,
) -> Iterator[tuple[str, RecordsT]]:
    """One client for the whole window, one slice per account or property, the client closed at
    the end: the shape of every connector's `fetch`."""
    try:
        for slice_id in slice_ids:
            yield slice_id, fetch_slice(client, slice_id, since, until)
    finally:
        client.close()


# A check answers in seconds: a throttle longer than this is reported, not waited out as a sync would.
CHECK_MAX_THROTTLE_WAIT_SECONDS = 60.0


def check_slices(
    open_client: Callable[[], ClientT],
    slice_ids: Iterable[str],
    check_one: Callable[[ClientT, str], None],
    label: Callable[[str], str] = str,
) -> Iterator[AccessCheck]:
    """(label, None) for each account or property that answers, (label, the error and its fix) for
    the others; a client that cannot even be opened fails every slice alike. The shape of every
    connector's `check`."""
    try:
        client = open_client()
    except PlatformError as error:
        for slice_id in slice_ids:
            yield label(slice_id), str(error)
        return
    try:
        for slice_id in slice_ids:
            try:
                check_one(client, slice_id)
            except PlatformError as error:
                yield label(slice_id), str(error)
            else:
                yield label(slice_id), None
    finally:
        client.close()
