"""What the pipeline needs to know about a platform to land it in the warehouse, and nothing more.

Each connector package declares one `Platform` with its raw tables. The orchestration layer builds
one raw asset per table from a shared factory, so adding a platform means adding a connector
package and its line in connectors/registry.py, not pipeline code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

from connectors.errors import PlatformError

# One fetched slice: the account (or property) id and its records for the requested window: dicts in
# the raw table's columns, or, for a table loaded with ParsePages, lines of JSON each holding one response
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
class ReplaceWindow:
    """Load mode: the fetched records replace the table's (slice, day) rows of the window; rows of
    other slices and days stay as loaded."""


@dataclasses.dataclass(frozen=True)
class ParsePages:
    """Load mode: the source lands response pages, not records, and `sql`, run by DuckDB on one
    slice's landed file (its one parameter), parses, casts and checks the rows, replacing the
    (slice, day) window as ReplaceWindow does. The SELECT returns the table's columns and `problem`
    (the error message for a malformed row, NULL for a good one): a slice with any problem is not
    loaded, and its earlier rows stay."""

    sql: str
    # What makes a row one row within a slice: pages that hold one twice fail the slice rather than
    # count it twice.
    row_key: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class KeepSnapshots:
    """Load mode for rows no platform can give again (a follower total as it stood when the sync
    ran): a sync inserts the rows whose identity is not held yet and never deletes one, so the
    record outlives the platform's own history."""

    # What makes a row the same row: by default (slice, day).
    identity_columns: tuple[str, ...] = ()
    # A row fetched again replaces the held one with the same identity (its newer figures), while
    # held rows not fetched stay as they are: for things a platform serves only for a while and that
    # change meanwhile (an Instagram story's figures while it is live, 24 hours).
    refresh: bool = False


LoadMode = ReplaceWindow | ParsePages | KeepSnapshots


@dataclasses.dataclass(frozen=True)
class RawTable(Generic[SettingsT]):
    """One raw table a platform fills: raw.<name> in the warehouse, how a window of it is fetched,
    and how the fetched rows land."""

    platform: str  # the name of the Platform that declares it
    name: str
    columns: Mapping[str, str]  # column name → DuckDB type, in load order
    slice_column: str  # the account/property column: a sync replaces (slice, day) ranges
    date_column: str
    fetch: Callable[[SettingsT, dt.date, dt.date], Iterator[SliceRecords]]
    load: LoadMode = ReplaceWindow()
    # Days before the window to fetch (and replace) as well: reference data such as exchange
    # rates, whose first days need the last value published before them.
    lookback_days: int = 0

    @property
    def identity(self) -> tuple[str, ...]:
        """What makes a row the same row in snapshot mode."""
        own = self.load.identity_columns if isinstance(self.load, KeepSnapshots) else ()
        return own or (self.slice_column, self.date_column)


@dataclasses.dataclass(frozen=True)
class Platform(Generic[SettingsT]):
    """Everything the pipeline knows about one platform: its settings, how its access is checked,
    how long it restates, and its raw tables. Each connector package declares one (`PLATFORM` in
    its __init__.py), and connectors/registry.py lists them: the only list of platforms."""

    name: str
    settings_from_env: Callable[[Mapping[str, str]], SettingsT | None]  # None when the platform is not configured
    credentials_hint: str  # which settings turn this platform on, for the "skipped" line
    tables: tuple[RawTable[SettingsT], ...]
    # Every environment variable the connector reads: the README's settings table must list them all
    # (tests/test_settings.py).
    setting_names: tuple[str, ...] = ()
    # The settings that hold the credential its rate limits count against, the first one set being the one
    # it calls with: runs on one credential are limited together in a team's run queue (pipelines/run_limits.py).
    # Empty for public data (exchange rates) and for platforms that call with another's credential.
    token_settings: tuple[str, ...] = ()
    # `social-roi check`: one cheap read-only call per account, yielding (account, None) when it
    # answered and (account, what to fix) when not, and (setting, CheckWarning) for what needs doing
    # soon. None for platforms with no credentials to test.
    check: Callable[[SettingsT], Iterator[AccessCheck]] | None = None
    # What needs doing soon about the credential itself (a token that expires within 14 days), one cheap
    # call: `social-roi check` and `social-roi connect` print it as a WARNING, and every run that syncs the
    # platform logs it as a warning. None: the platform's credentials do not expire unannounced.
    credential_warnings: Callable[[SettingsT], Iterator[CheckWarning]] | None = None
    # The days the nightly sync re-fetches. None: reference data that is fetched over the run's
    # whole range (it is small and is never revised).
    restatement: RestatementWindow | None = None
    # Public reference data (exchange rates) rather than a platform of the user's: it alone does
    # not make a sync worth running.
    reference_data: bool = False
    # The first day the platform still serves, given today (LinkedIn's page statistics: 12 months back).
    # A run asking for earlier days fetches and replaces only from that day: what the warehouse holds
    # before it stays as loaded. None: the platform's history reaches as far as anyone backfills.
    earliest_day: Callable[[dt.date], dt.date] | None = None
    # An organic platform's follower totals as they stand now, one slice per account (the nightly
    # follower snapshot reads every platform that has one).
    follower_totals: Callable[[SettingsT], Iterator[RecordSlice]] | None = None
    # The channel its figures carry in the marts, and that channel's name in the report; None for a
    # platform whose rows reach no channel of their own (exchange rates, the snapshots).
    channel: str | None = None
    display_name: str | None = None
    # The module that answers as this platform's API on loopback (an `API` class taking the sandbox,
    # and `environment(sandbox)`, the settings that point the connector at it): the demo and the
    # tests run against it. None for a platform the sandbox serves through another's (the snapshots).
    sandbox: str | None = None

    def __post_init__(self):
        strangers = [table.name for table in self.tables if table.platform != self.name]
        if strangers or not self.tables:
            raise ValueError(
                f"platform {self.name}: tables {strangers or 'none'} must be declared with platform={self.name!r}"
            )


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
