"""The warehouse as a DuckLake: table metadata in PostgreSQL, the data as Parquet files on a shared
directory (or an S3-compatible bucket), so that several machines write and read one warehouse.

A user chooses it with two settings:

    SOCIAL_ROI_WAREHOUSE=ducklake:postgres:dbname=social_roi host=db.internal user=social_roi
    SOCIAL_ROI_LAKE_DATA_PATH=/mnt/shared/social-roi/        (or s3://bucket/social-roi/)

The catalog string is libpq's (the postgres extension hands it to libpq). Its password is never
written there: libpq reads PGPASSWORD or ~/.pgpass itself, so the setting can be logged, shown in
`social-roi clients` and recorded in a run's metadata without a secret. A bucket's keys come from the
AWS SDK's own variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL for
an S3-compatible server), held in memory for the connection only (DuckDB's temporary secret).

DuckDB's extensions come from the lock, never from a download: the `duckdb-extension-*` wheels
carry the files for DuckDB 1.5.5 (pyproject.toml pins both; DECISIONLOG "One DuckDB, 1.5.5, for
the file and the lake"), each is LOADed by its path, and DuckDB's own install and autoload are off.
The lock's hashes vouch for them: only a connection that runs a user's query checks their signatures again.

Every connection, ours and dbt's (pipelines/lake_dbt_plugin.py), attaches the lake under the name
`warehouse` and uses it, so the same SQL (`raw.…`, `marts.…`) runs on the file and on the lake.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pipelines.private_files import private_directory

if TYPE_CHECKING:  # imported where a connection is made: settings read this module where none is
    import duckdb

LAKE_PREFIX = "ducklake:postgres:"
# The catalog name the lake is attached under: the name DuckDB gives the default file (warehouse.duckdb).
CATALOG = "warehouse"
# A DuckDB configuration value, as duckdb.connect takes it.
ConfigValue = str | bool | int | float | list[str]
# DuckDB never installs or loads an extension by itself: only the files the lock installed are loaded.
NO_DOWNLOADS: dict[str, ConfigValue] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# DuckDB checks an extension's signature on every LOAD, in every new connection, by hashing the whole file:
# 0.20-0.46 s for the postgres and ducklake files together, as the machine's load varied (benchmarks/README.md),
# most of a raw step's time on the lake. The files come
# from the lock, whose hashes pip checked (as it checked DuckDB's own library, which nothing signs): a
# connection that runs only the project's SQL skips the check; a user's query keeps it (confined_reader).
# DECISIONLOG "The warehouse as a DuckLake…".
LOCKED_EXTENSIONS: dict[str, ConfigValue] = {"allow_unsigned_extensions": True}
# DuckLake's words when a read-only attach finds no catalog in the database: no sync has written it yet.
NO_CATALOG_YET = "creating a new DuckLake is explicitly disabled"
# A wheel's file and the name DuckDB must see it under: LOAD derives the extension's entry point
# from the file name, and the postgres extension's is `postgres_scanner_init` (its wheel ships
# postgres.duckdb_extension).
_EXTENSIONS = {
    "postgres_scanner": ("duckdb_extension_postgres", "postgres"),
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "httpfs": ("duckdb_extension_httpfs", "httpfs"),
}


class LakeError(ValueError):
    """The lake's settings cannot be used, or its catalog or storage cannot be reached; nothing was written."""


@dataclasses.dataclass(frozen=True)
class Lake:
    """One DuckLake: its catalog (a libpq connection string without a password), where its data lives,
    and the directory this machine keeps its own files for it in (the writer lock, dbt's target, reports)."""

    catalog: str
    data_path: str
    directory: Path

    def __str__(self) -> str:
        return f"the lake {self.catalog} (data in {self.data_path})"

    def exists(self) -> bool:
        """Whether a sync has written the lake yet (its raw tables' schema is there), as a file exists.
        Read-only: a reader never creates the catalog. A lake that cannot be reached raises LakeError,
        which says why: it is not "missing"."""
        try:
            connection = self.connect(read_only=True)
        except LakeError as error:
            if NO_CATALOG_YET in str(error):
                return False
            raise
        with connection:
            schemas = connection.execute(
                "select count(*) from information_schema.schemata where catalog_name = ? and schema_name = 'raw'",
                [CATALOG],
            ).fetchone()
        return bool(schemas and schemas[0])

    @property
    def on_s3(self) -> bool:
        return self.data_path.startswith("s3://")

    def connect(
        self, read_only: bool = False, config: Mapping[str, ConfigValue] | None = None
    ) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB with the lake attached as `warehouse` and in use, for the project's own SQL."""
        return self._connect(read_only, {**dict(config or {}), **LOCKED_EXTENSIONS})

    def _connect(self, read_only: bool, config: Mapping[str, ConfigValue]) -> duckdb.DuckDBPyConnection:
        import duckdb

        connection = duckdb.connect(config={**dict(config), **NO_DOWNLOADS})
        try:
            self.attach(connection, read_only)
        except BaseException:
            connection.close()
            raise
        return connection

    def confined_reader(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection whose queries reach the lake's tables and nothing else: no other file,
        database or network (`social-roi sql`'s promise on the published copy, kept on the lake).
        The lake's own data path stays readable (its Parquet files are its tables), and its catalog's
        PostgreSQL transactions are READ ONLY (DuckLake's read-only attach), so no query writes there.
        DuckDB checks the extensions' signatures here, as it does by default: this connection runs a user's query."""
        connection = self._connect(read_only=True, config={})
        connection.execute("SET allowed_directories = ?", [[self.data_path]])
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")  # and no query turns it back on
        return connection

    def attach(self, connection: duckdb.DuckDBPyConnection, read_only: bool = False) -> None:
        import duckdb

        prepare_connection(connection, self.data_path, os.environ)
        options = [f"DATA_PATH {_quoted(self.data_path)}"] + (["READ_ONLY"] if read_only else [])
        try:
            connection.execute(f"ATTACH {_quoted(self.catalog)} AS {CATALOG} ({', '.join(options)})")
        except duckdb.Error as error:
            raise LakeError(
                f"Could not open {self} ({error}). Check that PostgreSQL answers there, that the database exists "
                "and the role may use it (its password in PGPASSWORD or ~/.pgpass), and that the data path is "
                "reachable from this machine."
            ) from None
        connection.execute(f"USE {CATALOG}")


def is_lake(warehouse_setting: str) -> bool:
    return warehouse_setting.startswith("ducklake:")


def parse_lake(value: str, env: Mapping[str, str], directory: Path, setting: str, data_path_setting: str) -> Lake:
    """The lake a `ducklake:postgres:` warehouse setting names; the error names the setting and the fix."""
    if not value.startswith(LAKE_PREFIX):
        raise LakeError(
            f"{setting}={value!r}: a lake's catalog is on PostgreSQL ({LAKE_PREFIX}dbname=… host=… user=…); "
            "another DuckLake catalog (a DuckDB or SQLite file) admits one machine only: use a DuckDB file instead."
        )
    # libpq's two forms: key=value (password=…) and a URI (postgresql://user:secret@host/db, ?password=…)
    if re.search(
        r"(^|\s)password\s*=|://[^/@\s]*:[^/@\s]*@|[?&]password=", value.removeprefix(LAKE_PREFIX), re.IGNORECASE
    ):
        raise LakeError(
            f"{setting} holds a password, which would show wherever the setting is shown: remove it and put it in "
            "PGPASSWORD or ~/.pgpass, which PostgreSQL's client library reads itself."
        )
    data_path = (env.get(data_path_setting) or "").strip()
    if not data_path:
        raise LakeError(
            f"{setting} is a lake, which needs {data_path_setting}: a directory every machine sees "
            "(e.g. /mnt/shared/social-roi/) or an S3-compatible bucket (s3://bucket/social-roi/)."
        )
    if not data_path.startswith("s3://"):
        data_path = str(Path(data_path).expanduser().resolve())  # as the clients file resolves it: one spelling
    return Lake(value, data_path.rstrip("/") + "/", directory)


def prepare_connection(connection: duckdb.DuckDBPyConnection, data_path: str, env: Mapping[str, str]) -> None:
    """What a connection needs before it attaches a lake whose data is at `data_path`: the extensions from the
    lock and, for a bucket, its keys (ours, Lake.attach, and dbt's, pipelines/lake_dbt_plugin.py)."""
    on_s3 = data_path.startswith("s3://")
    load_extensions(connection, s3=on_s3)
    if on_s3:
        create_s3_secret(connection, env)


def load_extensions(connection: duckdb.DuckDBPyConnection, s3: bool = False) -> None:
    names = ["postgres_scanner", "ducklake"] + (["httpfs"] if s3 else [])
    for name in names:
        connection.execute(f"LOAD {_quoted(str(extension_file(name)))}")


def extension_file(name: str) -> Path:
    """The extension's file from its wheel, under the name LOAD needs (a link in the user's cache
    where the wheel's name differs)."""
    import duckdb

    package, shipped = _EXTENSIONS[name]
    source = Path(str(importlib.resources.files(package) / "extensions" / f"v{duckdb.__version__}"))
    source = source / f"{shipped}.duckdb_extension"
    if not source.is_file():
        raise LakeError(
            f"{package} has no extension for DuckDB {duckdb.__version__} ({source}): reinstall from the lock (make dev)."
        )
    if shipped == name:
        return source
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = private_directory(root / "social-roi" / f"duckdb-{duckdb.__version__}")
    # The link is loaded as native code without its signature checked again (LOCKED_EXTENSIONS): no one but
    # this user may be able to swap it, so every directory down to it must be this user's alone to write.
    for directory in (root, cache.parent, cache):
        status = directory.stat()
        if status.st_uid != os.geteuid() or status.st_mode & 0o022:
            raise LakeError(
                f"{directory} holds the link DuckDB loads the postgres extension through, and another user may "
                f"write it: make it yours alone (chmod go-w {directory}; chown it to you), or set XDG_CACHE_HOME "
                "to a directory that is."
            )
    link = cache / f"{name}.duckdb_extension"
    if not (link.is_symlink() and link.resolve() == source.resolve()):
        temporary = cache / f".{name}.{os.getpid()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(source)
        os.replace(temporary, link)  # atomic: two processes making it at once both end with a good link
    return link


def create_s3_secret(connection: duckdb.DuckDBPyConnection, env: Mapping[str, str]) -> None:
    """The bucket's keys from the AWS SDK's variables, as a temporary secret of this connection only."""
    key_id, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if not key_id or not secret:
        raise LakeError(
            "The lake's data is on S3, which needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL "
            "for an S3-compatible server): set them in the environment the runs start in."
        )
    options = {"TYPE": "s3", "KEY_ID": key_id, "SECRET": secret}
    if env.get("AWS_SESSION_TOKEN"):  # temporary credentials (a role, SSO) carry one
        options["SESSION_TOKEN"] = env["AWS_SESSION_TOKEN"]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["REGION"] = region
    endpoint = env.get("AWS_ENDPOINT_URL", "")
    if endpoint:
        # An S3-compatible server (MinIO, Ceph, a test's own): its host and port, path-style addresses.
        parts = urlsplit(endpoint)
        options.update(
            ENDPOINT=parts.netloc or parts.path, URL_STYLE="path", USE_SSL=str(parts.scheme == "https").lower()
        )
    body = ", ".join(f"{key} {value if key == 'USE_SSL' else _quoted(value)}" for key, value in options.items())
    import duckdb

    try:
        connection.execute(f"CREATE OR REPLACE TEMPORARY SECRET lake_storage ({body})")
    except duckdb.Error:
        # DuckDB's parser errors quote the statement, keys included: never repeated
        raise LakeError(
            "Could not make the bucket's credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION "
            "and AWS_ENDPOINT_URL: check their values (no quotes, no line breaks)."
        ) from None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_warehouse(
    warehouse: Path | Lake, read_only: bool = False, config: Mapping[str, ConfigValue] | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse, a DuckDB file or a lake, its tables under the same names."""
    if isinstance(warehouse, Lake):
        return warehouse.connect(read_only, config)
    import duckdb

    return duckdb.connect(str(warehouse), read_only=read_only, config=dict(config or {}))
