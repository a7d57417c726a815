"""The published copy: a read-only twin of the warehouse for ad-hoc SQL, swapped in whole after each sync.

DuckDB lets one process write a file, and while it does nobody else may even read it; an analyst's
session left open all night would likewise stop the sync from opening the warehouse. So analysts
query a copy instead. At the end of a successful run the warehouse is checkpointed (everything in
the one file, no write-ahead log beside it), copied to a temporary file in the published file's
directory, verified, and renamed over the published path. The rename is atomic on POSIX: a new
session opens either the old copy or the new one, never half of one, and a session already open
keeps reading the old copy (its file stays alive until it closes) without holding up anything.

A publish killed half-way leaves the old copy in place and a temporary file behind; the next
publish removes it. No Dagster here: the sync's last asset (pipelines/assets/publish.py) calls it.
"""

import contextlib
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.private_files import new_private_file, private_directory


class PublishError(Exception):
    """The warehouse could not be published; the previous published copy is still in place."""


def publish(warehouse: Path, published: Path) -> Path:  # a DuckDB file; a lake is read directly
    """Make `published` an exact, self-contained copy of `warehouse`, in one atomic swap.

    Call only when no run is writing the warehouse (the sync's last step, in the "warehouse" pool):
    the checkpoint needs the write lock, and proves that no other process holds it.
    """
    warehouse, published = Path(warehouse), Path(published)
    if not warehouse.exists():
        raise PublishError(f"There is no warehouse at {warehouse} to publish yet: run a sync first.")
    private_directory(published.parent)
    with _only_publisher(published):
        _remove_leftovers(published)
        _checkpoint(warehouse)
        temporary = published.with_name(f".{published.name}.{os.getpid()}-{secrets.token_hex(4)}.publishing")
        try:
            # No connection to the warehouse is open from here on: the file on disk is the whole database.
            _copy_file(warehouse, temporary)
            _verify(temporary)
            _swap_in(temporary, published)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    return published


def _checkpoint(warehouse: Path) -> None:
    """Write everything in the write-ahead log into the database file, then close."""
    try:
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute("checkpoint")
    except duckdb.IOException as error:
        raise PublishError(
            f"Could not open {warehouse} to publish it ({error}). Another process holds it: a sync still running, or a session opened on the warehouse instead of the published copy."
        ) from None
    if _wal_of(warehouse).exists():
        raise PublishError(
            f"{warehouse} still has a write-ahead log after its checkpoint: another process opened it meanwhile. Nothing was published; rerun when it is closed."
        )


def _copy_file(source: Path, target: Path) -> None:
    shutil.copyfile(source, new_private_file(target))  # only its owner may read the copy, from its first byte
    _fsync(target)  # on disk before the rename makes it visible, so a power cut cannot publish a hole


def _verify(copy: Path) -> None:
    """Open the copy the way analysts will before anyone can: a torn copy must never be published."""
    try:
        with duckdb.connect(str(copy), read_only=True) as connection:
            connection.execute("select count(*) from duckdb_tables()").fetchone()
    except duckdb.Error as error:
        raise PublishError(
            f"The copy of the warehouse in {copy.parent} does not open ({error}); the published copy was left as it was."
        ) from None


def _swap_in(temporary: Path, published: Path) -> None:
    # A log beside the published path would belong to the old copy (someone opened it writable) and
    # be replayed onto the new one by the next writable open.
    _wal_of(published).unlink(missing_ok=True)
    os.replace(temporary, published)
    _fsync(published.parent)  # the rename itself survives a crash


@contextlib.contextmanager
def _only_publisher(published: Path) -> Iterator[None]:
    """One publish at a time per published file; the OS drops the lock when a publisher dies, even by kill -9.

    Within it, any temporary file is a dead publisher's leftover, safe to remove.
    """
    lock_path = published.with_name(f".{published.name}.publish-lock")
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _remove_leftovers(published: Path) -> None:
    for leftover in published.parent.glob(f".{published.name}.*.publishing"):
        leftover.unlink(missing_ok=True)


def _wal_of(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
