"""A real PostgreSQL server for the tests that need one: the machine's own `initdb` and `pg_ctl`, a data
directory of the test's, a free loopback port, trust authentication on loopback only, stopped (and its
files removed) when the test ends.

PostgreSQL refuses to run as root ("initdb: cannot be run as root"): a suite run as root (CI) starts it
as the `postgres` user through `runuser`, in a directory that user may enter.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SERVER_USER = "postgres"  # the account the distribution's package creates, and the one root runs it as


@dataclasses.dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def new_database(self, name: str) -> PostgresServer:
        """Another database on this server (a client's own lake catalog, say)."""
        server = dataclasses.replace(self, database=name)
        _create_database(server)
        return server

    def new_lake(self, name: str, root: Path) -> dict[str, str]:
        """The settings of a lake of its own (pipelines/lake.py): its catalog a new database on this server, its
        data in a directory under `root` standing for the team's shared storage, and this machine's files in
        `root`/`name`."""
        catalog = self.new_database(name)
        return {
            "SOCIAL_ROI_WAREHOUSE": f"ducklake:postgres:dbname={catalog.database} host={catalog.host} "
            f"port={catalog.port} user={catalog.user}",
            "SOCIAL_ROI_LAKE_DATA_PATH": str(root / "shared-storage" / name),
            "SOCIAL_ROI_LOCAL_DIR": str(root / name),
        }


def server_program(name: str) -> str | None:
    """`initdb` or `pg_ctl`: on PATH, else in the distribution's versioned directory (Debian's packages)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_postgres(database: str = "dagster") -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, with `database` created in it."""
    initdb, pg_ctl = server_program("initdb"), server_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed: apt-get install postgresql")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
    user = SERVER_USER if as_root else os.environ.get("USER", "postgres")
    root = Path(tempfile.mkdtemp(prefix="social-roi-pg-"))
    data = root / "data"
    data.mkdir()
    if as_root:
        root.chmod(0o755)
        shutil.chown(data, SERVER_USER, SERVER_USER)
    port = free_port()
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C"],
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{data}' -c fsync=off"
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
        try:
            server = PostgresServer("127.0.0.1", port, user, database)
            _create_database(server)
            yield server
        finally:
            subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _create_database(server: PostgresServer) -> None:
    import psycopg2

    connection = psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname="postgres")
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{server.database}"')
    finally:
        connection.close()
