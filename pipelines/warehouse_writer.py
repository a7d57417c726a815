"""One writer of the warehouse at a time, however the run was started.

A run that writes the warehouse (a sync's ingestion, the models' run, a rebuild, publication) first
takes an exclusive lock on a file beside the warehouse (`.warehouse.duckdb.writer-lock`), holds it
until it ends, and writes into it who holds it: the run id, since when, the process. Everything
that starts a run goes through it:

- `social-roi sync` / `rebuild` / `demo` (pipelines/runs.py) take it BEFORE the first run starts,
  before anything is fetched and before the dbt log is opened, and keep it across the sync's two
  runs. While another run holds it they exit at once, non-zero, with "a sync is running since …
  (run id …)". They do not wait: a terminal or a cron line learns straight away that the
  warehouse is busy and with what, instead of sitting silently behind a run of unknown length.
- Runs the instance launches (the nightly schedule, the `models_after_sync` sensor, the UI's
  materializations and backfills, `dagster job execute`) take it through the `warehouse_writer`
  resource that every writing asset requires. Dagster initialises a run's resources once, before
  its first step (the code location uses the in-process executor), so the lock is taken before any
  platform is called. Those runs normally never meet it held: the instance's run queue
  (dagster.yaml.example: QueuedRunCoordinator, one run at a time, the "warehouse" pool) counts the
  CLI's runs too, since they are recorded on the same instance, and keeps its own runs in the
  queue the UI shows. Where the queue cannot see the other writer (the gap between a CLI sync's two
  runs, another DAGSTER_HOME on the same warehouse, an instance without the queue), the run waits
  for the lock and says in its log whom it waits for: a scheduled night is never lost to a clash.

Why not DuckDB's own lock: a step holds it only while its connection is open, and the steps open
late and close early on purpose, so during a fetch nobody holds it; two syncs both fetched, then
met it while loading. Why a kernel lock and not only the instance's run records ("is a run in
progress?"): checking the records and then starting is not atomic (two syncs started 2 s apart
both see none in progress), and a record outlives its process: a CLI run killed by kill -9, an OOM
kill or a reboot stays STARTED (the default run launcher has no worker health check; run
monitoring cancels it only after max_runtime_seconds), so the records would lock out later runs. `flock` is atomic, and the kernel releases it when the holder's process dies,
however it dies: a crashed run never leaves a stale lock. A holder that ends normally empties the
file before unlocking; a record found in a free lock file is therefore one left by a writer that
died, and its run, if the instance still shows it in progress, is marked failed, which also frees
the run queue it was blocking.

DuckDB's own file lock stays the last line against processes outside this scheme (an analyst's
session opened on the warehouse instead of the published copy): `check_no_other_process_has_it_open`
finds such a session when a run starts, before anything is fetched, and a lock clash met later
fails the step without a retry (a retry of an ingestion step fetches the platform again). Not
covered: a dbt process left running after its parent was killed (dagster-dbt starts it without our
lock's descriptor); DuckDB's lock then refuses the next run, before it fetches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import duckdb

from connectors import clock
from pipelines.lake import Lake
from pipelines.private_files import private_directory
from pipelines.settings import warehouse_location

RESOURCE_KEY = "warehouse_writer"
# The CLI's exit status when another run writes the warehouse: sysexits' EX_TEMPFAIL, "try again later".
EXIT_WAREHOUSE_BUSY = 75
# How long a run launched by the instance waits for the lock before it fails (the run monitoring of
# dagster.yaml.example cancels a run after 4 hours anyway), and how often it looks.
INSTANCE_RUN_WAIT_SECONDS = 4 * 3600.0
POLL_SECONDS = 2.0
# A holder writes its record right after taking the lock: a refused process that reads the file in
# between finds it empty and looks again for this long.
RECORD_READ_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class Writer:
    """Who holds the warehouse: the run (the sync's current run), since when, which process."""

    run_id: str
    since: dt.datetime
    pid: int

    def describe(self) -> str:
        return f"a sync is running since {self.since:%Y-%m-%d %H:%M:%S %Z} (run id {self.run_id}, process {self.pid})"


class WarehouseBusyError(RuntimeError):
    """Another run writes the warehouse; this one fetched and wrote nothing."""

    def __init__(self, warehouse: Path | Lake, writer: Writer | None):
        self.warehouse, self.writer = warehouse, writer
        who = writer.describe() if writer else "a sync is running (it has not recorded its run id yet)"
        super().__init__(
            f"{who} and writes {warehouse}; nothing was fetched or written. Run this again when it has "
            "finished (the Dagster UI shows the run; `dagster run list` too)."
        )


class WarehouseOpenElsewhereError(RuntimeError):
    """A process outside the pipeline has the warehouse file open, so no run could write it."""


@dataclasses.dataclass
class Holding:
    """This process's hold on one warehouse. `abandoned` is the record a writer that died left behind."""

    warehouse: Path | Lake
    descriptor: int
    writer: Writer
    abandoned: Writer | None

    def record(self, run_id: str) -> None:
        """Name the run now writing (a CLI sync holds the lock across its runs; the file names the current one)."""
        self.writer = dataclasses.replace(self.writer, run_id=run_id)
        text = json.dumps({"run_id": run_id, "since": self.writer.since.isoformat(), "pid": self.writer.pid})
        os.ftruncate(self.descriptor, 0)
        os.pwrite(self.descriptor, text.encode(), 0)
        os.fsync(self.descriptor)


# The warehouses this process holds, by lock file: a hold inside a hold (a CLI sync's runs, each
# taking the resource) only renames the run. flock would refuse a second open of the same file.
_held: dict[Path, Holding] = {}


def lock_file(warehouse: Path | Lake) -> Path:
    """Beside the file; for a lake, in this machine's directory for it. This lock keeps one machine's
    writers apart; runs of one lake on several machines are kept apart by the shared instance's queue
    and the client's pool (deploy/dagster.yaml, pipelines/run_limits.py): it starts no queued run of a
    client while another of its runs is recorded as going, a `social-roi sync` included, but such a
    sync typed on another machine starts at once, without waiting for the queue."""
    if isinstance(warehouse, Lake):
        return warehouse.directory / ".lake.writer-lock"
    return Path(warehouse).with_name(f".{Path(warehouse).name}.writer-lock")


@contextlib.contextmanager
def hold(
    warehouse: Path | Lake,
    run_id: str,
    wait_seconds: float = 0.0,
    on_wait: Callable[[Writer | None], None] = lambda _writer: None,
) -> Iterator[Holding]:
    """Hold the warehouse for `run_id` while the block runs.

    Held by another process: wait up to `wait_seconds` (calling `on_wait` with the holder when the
    wait starts and every few minutes), then raise WarehouseBusyError. 0 refuses at once.
    """
    path = lock_file(warehouse).absolute()
    if path in _held:
        holding = _held[path]
        holding.record(run_id)
        yield holding
        return
    private_directory(path.parent)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(descriptor, warehouse, wait_seconds, on_wait)
        abandoned = _read_record(descriptor)
        holding = Holding(warehouse, descriptor, Writer(run_id, clock.now(), os.getpid()), abandoned)
        holding.record(run_id)
        _held[path] = holding
        try:
            yield holding
        finally:
            del _held[path]
            os.ftruncate(descriptor, 0)  # an empty file: this writer ended, nothing was abandoned
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def current_writer(warehouse: Path | Lake) -> Writer | None:
    """Who writes the warehouse now, or None when nobody does."""
    path = lock_file(warehouse)
    if not path.exists():
        return None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_record(descriptor, patience=RECORD_READ_SECONDS)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def _lock(
    descriptor: int, warehouse: Path | Lake, wait_seconds: float, on_wait: Callable[[Writer | None], None]
) -> None:
    deadline = time.monotonic() + wait_seconds
    next_notice = time.monotonic()
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            writer = _read_record(descriptor, patience=RECORD_READ_SECONDS)
        if time.monotonic() >= deadline:
            raise WarehouseBusyError(warehouse, writer)
        if time.monotonic() >= next_notice:
            on_wait(writer)
            next_notice = time.monotonic() + 300
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def _read_record(descriptor: int, patience: float = 0.0) -> Writer | None:
    deadline = time.monotonic() + patience
    while True:
        text = os.pread(descriptor, 4096, 0).decode(errors="replace").strip()
        try:
            fields = json.loads(text)
            return Writer(fields["run_id"], dt.datetime.fromisoformat(fields["since"]), int(fields["pid"]))
        except (ValueError, KeyError, TypeError):
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)


def check_no_other_process_has_it_open(warehouse: Path | Lake) -> None:
    """Fail now, before anything is fetched, when a process outside the pipeline has the warehouse
    open (DuckDB lets one process hold the file, and refuses even readers while it does). A lake
    admits any number of readers and writers: nothing to check."""
    if isinstance(warehouse, Lake) or not Path(warehouse).exists():
        return
    try:
        with duckdb.connect(str(warehouse)):
            pass
    except duckdb.IOException as error:
        if not is_lock_conflict(error):
            raise
        raise WarehouseOpenElsewhereError(warehouse_in_use_message(warehouse, error)) from None


def is_lock_conflict(error: duckdb.IOException) -> bool:
    """DuckDB's words when another process holds the file ("Could not set lock on file …: Conflicting lock is held …")."""
    return "Could not set lock on file" in str(error)


def warehouse_in_use_message(warehouse: Path | Lake, error: Exception) -> str:
    # DuckDB names the file, and the program and PID that hold it: no secret.
    return (
        f"Another process has {warehouse} open ({error}); nothing was written. Close it (query the published "
        "copy instead: social-roi sql, or duckdb -readonly on published.duckdb) and rerun."
    )


@contextlib.contextmanager
def lock_conflict_is_final(warehouse: Path | Lake) -> Iterator[None]:
    """DuckDB refusing the warehouse (another process has it open) fails the step without a retry:
    an ingestion step's RetryPolicy would wait a minute and fetch the whole window from the platform
    again, only to meet the same lock. The writer lock keeps our own runs apart: this is a process
    outside them."""
    try:
        yield
    except duckdb.IOException as error:
        if not is_lock_conflict(error):
            raise
        raise dg.Failure(description=warehouse_in_use_message(warehouse, error), allow_retries=False) from None


def fail_abandoned_run(instance: dg.DagsterInstance, abandoned: Writer | None) -> None:
    """The run of a writer whose process died holding the warehouse: marked failed if the instance
    still shows it in progress, so that it stops counting against the run queue's one run."""
    if abandoned is None:
        return
    run = instance.get_run_by_id(abandoned.run_id)
    if run is not None and run.status in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED):
        instance.report_run_failed(
            run,
            f"Its process ({abandoned.pid}) ended while writing the warehouse, without finishing the run "
            "(killed, out of memory, or the machine stopped). Rerun its days.",
        )


class WarehouseWriter(dg.ConfigurableResource):
    """The warehouse, held by this run alone from before its first step until its end (see the module docstring)."""

    wait_seconds: float = INSTANCE_RUN_WAIT_SECONDS

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseWriter]:
        warehouse = warehouse_location(create=False)
        run_id = context.run_id or "unknown"

        def say_whom_we_wait_for(writer: Writer | None) -> None:
            if context.log is not None:
                context.log.warning(
                    f"Waiting for the warehouse: {writer.describe() if writer else 'another run writes it'}. "
                    "This run starts when it ends; nothing is fetched meanwhile."
                )

        with hold(warehouse, run_id, self.wait_seconds, say_whom_we_wait_for) as holding:
            if context.instance is not None:
                fail_abandoned_run(context.instance, holding.abandoned)
            check_no_other_process_has_it_open(warehouse)
            yield self
