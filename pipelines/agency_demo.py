"""`social-roi demo --agency`: an agency's book of three clients against the sandbox, end to end.

Each client is a synthetic advertiser of its own (its own seed, brand, currencies), served by a
sandbox of its own on its own loopback port, so that no figure of one can reach another except
through the pipeline. Two of them share the agency's Meta token (one system user for both
businesses), the third brings its own. The demo writes the clients file as an agency would (every
secret an `env:` reference), syncs each client into its own warehouse, writes each client's report
in its own currency and language, and the agency overview of all three.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

from connectors.redaction import SECRET_SETTING
from pipelines import settings as pipeline_settings
from pipelines.clients import CLIENTS

# The agency's Meta system user: the variable both clients on it name in the clients file.
AGENCY_META_TOKEN = "AGENCY_META_TOKEN"
META_TOKEN_SETTING = "META_ACCESS_TOKEN"
# Where the demo's clients file and each client's ledger, targets and values go (its data under data/clients/).
AGENCY_DIRECTORY = Path("data/agency")


@dataclasses.dataclass(frozen=True)
class DemoClient:
    id: str
    name: str
    seed: int
    brand: str  # the sandbox advertiser's: its accounts, Pages and campaign names carry it
    spends_in: str  # its Meta accounts' and GA4 property's currency
    reports_in: str
    locale: str
    own_meta_token: str | None  # None: on the agency's Meta token


DEMO_CLIENTS = (
    DemoClient("nordlys", "Nordlys Outdoor AS", 7, "Nordlys Outdoor", "NOK", "NOK", "nb", None),
    DemoClient("havorn", "Havørn Reiser AS", 11, "Havørn Reiser", "EUR", "EUR", "en", None),
    DemoClient("fjellbekk", "Fjellbekk Kaffebrenneri AS", 13, "Fjellbekk Kaffe", "USD", "USD", "nb", "fjellbekk-meta"),
)


def _toml_string(value: str) -> str:
    # a JSON string is a TOML basic string (same escapes); æ, ø and å stay as written
    return json.dumps(value, ensure_ascii=False)


def client_settings(client: DemoClient, sandbox_settings: dict[str, str], plans: dict[str, str]) -> dict[str, str]:
    """The client's table in the clients file, and sets the variables its `env:` references name."""
    settings = {}
    for name, value in sandbox_settings.items():
        if SECRET_SETTING.search(name):
            variable = AGENCY_META_TOKEN if name == META_TOKEN_SETTING and client.own_meta_token is None else None
            variable = variable or f"{client.id.upper()}_{name}"
            os.environ[variable] = value
            value = f"env:{variable}"
        settings[name] = value
    return {
        **settings,
        **plans,
        pipeline_settings.CURRENCY: client.reports_in,
        pipeline_settings.REPORT_LOCALE: client.locale,
    }


def clients_toml(tables: dict[DemoClient, dict[str, str]]) -> str:
    text = "# The agency demo's clients (social-roi demo --agency). Secrets are only named: env:VARIABLE.\n"
    for client, settings in tables.items():
        text += f"\n[clients.{client.id}]\nname = {_toml_string(client.name)}\n\n[clients.{client.id}.settings]\n"
        text += "".join(f"{name} = {_toml_string(value)}\n" for name, value in sorted(settings.items()))
    return text


@contextlib.contextmanager
def agency_sandboxes(start: dt.date, end: dt.date) -> Iterator[Path]:
    """Three clients' sandboxes running, and their clients file written: yields its path."""
    from connectors.sandbox import Sandbox
    from connectors.sandbox.demo_plans import write_client_mappings, write_demo_plans

    directory = AGENCY_DIRECTORY.resolve()
    with contextlib.ExitStack() as running:
        tables = {}
        for client in DEMO_CLIENTS:
            sandbox = running.enter_context(
                Sandbox(seed=client.seed, restate_each_sync=True, brand=client.brand, currency=client.spends_in)
            )
            if client.own_meta_token:
                sandbox.meta.valid_tokens = {client.own_meta_token}  # its own token, the agency's is refused
            sandbox_settings = sandbox.environment()
            if client.own_meta_token:
                sandbox_settings[META_TOKEN_SETTING] = client.own_meta_token
            plans = write_demo_plans(directory / client.id, start, end)
            # its own campaign mapping and conversion goals: a shared file would name another client's campaigns
            plans |= write_client_mappings(
                directory / client.id, pipeline_settings.PROJECT_ROOT / "config", sandbox.advertiser
            )
            tables[client] = client_settings(client, sandbox_settings, plans)
        path = directory / "clients.toml"
        path.write_text(clients_toml(tables), encoding="utf-8")
        yield path


def run_agency_demo(days: int) -> int:
    """Sync the three clients side by side (`sync --all-clients`), then write each client's report and the
    overview; 0 when every client's sync succeeded."""
    from connectors import clock
    from pipelines.agency import sync_all_clients
    from pipelines.cli import for_client, write_report_by_hand
    from pipelines.overview import overview_text, write_overview

    end = clock.yesterday()
    start = end - dt.timedelta(days=days - 1)
    # The clients file's path and the variables its env: references name are set for the demo's own
    # commands and children only: whoever called the demo gets its environment back as it was.
    before = dict(os.environ)
    try:
        with agency_sandboxes(start, end) as clients_file:
            os.environ[CLIENTS] = str(clients_file)
            print(f"Clients file: {clients_file} ({len(DEMO_CLIENTS)} clients, secrets named as env: variables).")
            # each client's sync is a process of its own, reaching its sandbox here over loopback
            status = sync_all_clients(start, end)
        for client in DEMO_CLIENTS:
            with for_client(client.id, "report"), contextlib.suppress(FileNotFoundError):  # a failed client has none
                write_report_by_hand(None, start, end, None, pdf=False, email=False)
        overview, lines = write_overview(os.environ, start, end)
        print(f"\nAgency overview ({start}..{end}): {overview}\n{overview_text(lines)}")
    finally:
        os.environ.clear()
        os.environ.update(before)
    return status
