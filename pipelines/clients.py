"""An agency's clients: one file names each client and the settings its runs see.

`SOCIAL_ROI_CLIENTS` points at a TOML file with a table per client:

    [clients.fjord]
    name = "Fjord Sko AS"

    [clients.fjord.settings]
    META_AD_ACCOUNT_IDS = "act_111"
    META_ACCESS_TOKEN = "env:AGENCY_META_TOKEN"     # read from that environment variable
    SOCIAL_ROI_CURRENCY = "NOK"
    SOCIAL_ROI_COST_LEDGER = "fjord/cost_ledger.csv"  # relative to the clients file

A client's settings are the settings of the README's table, spelled the same: a run for a client
sees the process's environment with every client setting (every platform's, and the pipeline's own
per-client ones: warehouse, currency, files, report) taken from the client's table alone, so no
account or file of one client ever leaks into another's run. The agency-wide ones (the schedule,
the SMTP server, the calendar) carry over. Secrets are never in the file: a setting that holds one
must name the environment variable to read (`env:NAME`), which clients may share (an agency's Meta
system user) or not.

Each client gets its own warehouse, published copy, reports and Dagster home under
`data/clients/<id>/` unless its table says otherwise (DECISIONLOG.md, "One warehouse per client").
With no clients file, nothing here applies: the single-advertiser settings work as before.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pipelines import settings as pipeline_settings
from pipelines.lake import is_lake
from pipelines.private_files import write_private
from pipelines.setting_files import SettingFileError, checked_value, read_from_environment

CLIENTS = pipeline_settings.CLIENTS
CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
REPORT_RECIPIENTS = pipeline_settings.REPORT_EMAIL_SETTINGS[0]  # SOCIAL_ROI_REPORT_EMAIL_TO: a client's own
# Where a client's own files go when its table does not say (relative to the working directory,
# as the single advertiser's data/).
CLIENTS_DATA = Path("data/clients")
# Settings every client's run shares with the process: when and how the agency runs and mails.
AGENCY_WIDE = frozenset(
    {
        CLIENTS,
        pipeline_settings.CLIENT,  # the clients file sets it, from the client's id
        pipeline_settings.PARALLEL_CLIENTS,
        pipeline_settings.SCHEDULE_TIMEZONE,
        pipeline_settings.SCHEDULE_HOUR,
        pipeline_settings.WEEKLY_PASS_DAY,
        pipeline_settings.DAGSTER_HOME,
        pipeline_settings.SETTINGS_FILE,
        pipeline_settings.SECRETS_FILE,
        pipeline_settings.clock.TODAY_SETTING,
        # the sender and the mail server; the recipients are each client's own
        *(name for name in pipeline_settings.REPORT_EMAIL_SETTINGS if name != REPORT_RECIPIENTS),
    }
)


class ClientsError(SettingFileError):
    """The clients file, or a client's table in it, cannot be used; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class Client:
    id: str
    name: str
    # The client's own settings as written (a value "env:NAME" not yet read), paths resolved.
    settings: Mapping[str, str]


def client_settings() -> frozenset[str]:
    """Every setting a client's table may hold: every registered platform's, with its restatement
    windows, and the pipeline's own except the agency-wide ones."""
    from connectors.registry import PLATFORMS

    names = {str(name) for name in pipeline_settings.SETTING_NAMES} - AGENCY_WIDE
    for platform in PLATFORMS:
        names.update(platform.setting_names)
        if platform.restatement is not None:
            names.update(pipeline_settings.window_setting_names(platform.name))
    return frozenset(names)


def read_clients(path: Path) -> dict[str, Client]:
    """Every client of the file, by id, checked: the error names the client, the setting and the fix."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClientsError(f"{CLIENTS} points at {path}, which does not exist: create it or unset {CLIENTS}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ClientsError(f"{path} is not valid TOML ({error}): fix it and run again.") from None
    tables = document.get("clients")
    if not isinstance(tables, dict) or not tables:
        raise ClientsError(
            f"{path} names no client: add a [clients.<id>] table for each (README, 'An agency's clients')."
        )
    allowed = client_settings()
    clients = {}
    for client_id, table in tables.items():
        where = f"{path}, client {client_id!r}"
        if not CLIENT_ID.fullmatch(client_id):
            raise ClientsError(f"{where}: a client id is lower-case letters, digits, - and _ (e.g. fjord-sko).")
        if not isinstance(table, dict) or not isinstance(table.get("name"), str) or not table["name"].strip():
            raise ClientsError(f'{where}: give it a name (name = "Fjord Sko AS"), as its report shows it.')
        unknown = set(table) - {"name", "settings"}
        if unknown:
            raise ClientsError(f"{where}: {', '.join(sorted(unknown))} is not a client key: use name and [settings].")
        written = table.get("settings", {})
        if not isinstance(written, dict):
            raise ClientsError(f"{where}: settings must be a table ([clients.{client_id}.settings]).")
        resolved = {}
        for name, value in written.items():
            resolved[name] = _checked_value(where, name, value, allowed, path.parent)
        clients[client_id] = Client(client_id, table["name"].strip(), resolved)
    return clients


def _checked_value(where: str, name: str, value: object, allowed: frozenset[str], base: Path) -> str:
    if name in AGENCY_WIDE:
        fix = (
            "the clients file sets it from the client's id"
            if name == pipeline_settings.CLIENT
            else "set it in the environment"
        )
        raise ClientsError(f"{where}: {name} is the agency's, not a client's: {fix}.")
    return checked_value(where, name, value, allowed, base, ClientsError)


def store_client_settings(path: Path, client_id: str, values: Mapping[str, str | None]) -> None:
    """Set (None: remove) settings in one client's table of the clients file, its other lines and comments kept."""
    import tomlkit

    from pipelines.setting_files import update_table

    client = read_clients(path).get(client_id)
    if client is None:
        raise ClientsError(
            f"{path} names no client {client_id!r}: add its [clients.{client_id}] table with a name first."
        )
    allowed = client_settings()
    for name, value in values.items():
        if value is not None:
            _checked_value(f"{path}, client {client_id!r}", name, value, allowed, path.parent)
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    table = document["clients"][client_id]  # type: ignore[index]
    if "settings" not in table:  # type: ignore[operator]
        table["settings"] = tomlkit.table()  # type: ignore[index]
    update_table(table["settings"], values)  # type: ignore[index]
    write_private(path, tomlkit.dumps(document))


def warehouse_of(client: Client) -> str:
    """The client's warehouse: its own setting (a file, or a lake's catalog), else data/clients/<id>/warehouse.duckdb."""
    written = client.settings.get(pipeline_settings.WAREHOUSE)
    return written or str((CLIENTS_DATA / client.id / "warehouse.duckdb").resolve())


def directory_of(client: Client) -> Path:
    """Where this machine keeps the client's own files (published copy, reports, Dagster home, logs):
    its warehouse file's directory; for a lake, its SOCIAL_ROI_LOCAL_DIR, else data/clients/<id>."""
    warehouse = warehouse_of(client)
    if is_lake(warehouse):
        written = client.settings.get(pipeline_settings.LOCAL_DIR)
        return Path(written) if written else (CLIENTS_DATA / client.id).resolve()
    return Path(warehouse).parent


def published_of(client: Client) -> Path:
    """The client's published copy: its own setting, else published.duckdb beside its warehouse."""
    written = client.settings.get(pipeline_settings.PUBLISHED)
    return Path(written) if written else directory_of(client) / pipeline_settings.PUBLISHED_FILE_NAME


def client_environment(client: Client, env: Mapping[str, str]) -> dict[str, str]:
    """The environment a run for `client` sees: `env` without any client setting, then the client's
    own (read from the variables its `env:` values name) and its own places for what it writes."""
    own = client_settings()
    result = {name: value for name, value in env.items() if name not in own}
    for name, value in client.settings.items():
        value = read_from_environment(f"client {client.id!r}", name, value, env, ClientsError)
        result[name] = value
    result.setdefault(pipeline_settings.WAREHOUSE, warehouse_of(client))
    directory = directory_of(client)
    if is_lake(result[pipeline_settings.WAREHOUSE]):
        result.setdefault(pipeline_settings.LOCAL_DIR, str(directory))
    result.setdefault(pipeline_settings.REPORT_DIR, str(directory / "reports"))
    # A Dagster home of its own on one machine: two clients' runs never queue in, or write, one SQLite
    # instance. A team's instance in PostgreSQL is shared: each client's runs are recorded there, in
    # their own code location and warehouse pool (pipelines/run_limits.py).
    if not pipeline_settings.shared_instance(env):
        result[pipeline_settings.DAGSTER_HOME] = str(directory / ".dagster_home")
    result[pipeline_settings.CLIENT] = client.id
    return result


# Commands that act on one advertiser's data or accounts: with a clients file, they need --client.
PER_CLIENT_COMMANDS = frozenset({"sync", "rebuild", "report", "sql", "check", "connect"})


def clients_file(env: Mapping[str, str]) -> Path | None:
    raw = (env.get(CLIENTS) or "").strip()
    return Path(raw).expanduser().resolve() if raw else None


def environment_for(client_id: str | None, command: str, env: Mapping[str, str]) -> dict[str, str] | None:
    """The environment `command` runs in for `client_id`; None to run in `env` as it is (no clients
    file, or a command that is not a client's: the demo, the sandbox)."""
    path = clients_file(env)
    if path is None:
        if client_id is not None:
            raise ClientsError(f"--client {client_id} needs a clients file: set {CLIENTS} to its path.")
        return None
    if command not in PER_CLIENT_COMMANDS:
        if client_id is not None:
            raise ClientsError(f"`social-roi {command}` is not run for a client: leave out --client.")
        return None
    clients = read_clients(path)
    if client_id is None:
        raise ClientsError(f"{path} names {len(clients)} clients: choose one with --client ({', '.join(clients)}).")
    if client_id not in clients:
        raise ClientsError(f"{path} names no client {client_id!r}: use one of {', '.join(clients)}.")
    return client_environment(clients[client_id], env)


def describe_clients(env: Mapping[str, str]) -> str:
    """One line per client: its id, name and warehouse; what `social-roi clients` prints."""
    path = clients_file(env)
    if path is None:
        return f"No clients file: {CLIENTS} is not set, so every command runs for the one advertiser of the settings."
    return "\n".join(f"{client.id}  {client.name}  {warehouse_of(client)}" for client in read_clients(path).values())
