"""An agency's book: the overview of every client for the agency, and the three-client demo whose
clients never see a figure, name, account or post of another."""

import re
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main


def test_the_overview_shows_each_clients_report_figures_in_its_own_currency_and_says_which_client_has_none(
    settled, window_report, tmp_path, monkeypatch, capsys
):
    clients = tmp_path / "clients.toml"
    clients.write_text(
        '[clients.nordlys]\nname = "Nordlys Outdoor AS"\n[clients.nordlys.settings]\n'
        f'SOCIAL_ROI_PUBLISHED = "{settled.warehouse}"\n'
        '\n[clients.kyst]\nname = "Kystlys Bakeri"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(clients))
    monkeypatch.chdir(tmp_path)  # Kystlys's warehouse would be data/clients/kyst/: never synced
    first, last = settled.window
    out = tmp_path / "overview.html"

    status = main(["overview", "--start", str(first), "--end", str(last), "--out", str(out)])

    assert status == 0, capsys.readouterr().err
    headline = window_report("nb").headline
    page = out.read_text(encoding="utf-8")
    nordlys = re.search(r'<tr id="client-nordlys">(.*?)</tr>', page, re.S)
    kyst = re.search(r'<tr id="client-kyst">(.*?)</tr>', page, re.S)
    assert nordlys and kyst
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", nordlys[1], re.S)]
    assert cells[:2] == ["Nordlys Outdoor AS", "NOK"]
    # the client's own report's headline, as its report formats it (nb: 1 234,50 kr)
    from pipelines.report.formatting import Formatter

    fmt = Formatter("nb", "NOK")
    assert cells[2:7] == [
        fmt.money(headline["spend"]),
        fmt.money(headline["total_cost"]),
        fmt.money(headline["revenue"]),
        fmt.percent(headline["roi_on_revenue"]),
        fmt.percent(headline["roi"]),
    ]
    assert "Ingen tall for perioden ennå" in kyst[1], "a client not yet synced is named, not left out"
    printed = capsys.readouterr().out
    assert "kyst  Kystlys Bakeri: There is no warehouse" in printed
    assert "Nordlys Outdoor AS (NOK): total cost" in printed


def test_the_overview_is_the_agencys_and_refuses_a_client_or_a_missing_clients_file(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("SOCIAL_ROI_CLIENTS", raising=False)
    assert main(["overview"]) == 2
    assert "needs a clients file: set SOCIAL_ROI_CLIENTS" in capsys.readouterr().err

    clients = tmp_path / "clients.toml"
    clients.write_text('[clients.fjord]\nname = "Fjord"\n', encoding="utf-8")
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(clients))
    assert main(["--client", "fjord", "overview"]) == 2
    assert "is not run for a client: leave out --client" in capsys.readouterr().err


def identifiers(published: Path) -> set[str]:
    """What names a client in its own published copy: its accounts, campaigns (ids and names),
    Pages and profiles, GA4 property, and posts (ids and texts)."""
    queries = [
        "select distinct account_id from marts.cost_daily",
        "select distinct campaign_id from marts.cost_daily where campaign_id is not null",
        "select distinct campaign_name from marts.roi_by_campaign where campaign_id is not null",
        "select distinct account_id from marts.audience_daily",
        "select distinct property_id from raw.ga4_traffic",
        "select distinct post_id from marts.posts",
    ]
    with duckdb.connect(str(published), read_only=True) as connection:
        found = {str(value) for query in queries for (value,) in connection.execute(query).fetchall()}
    return {value for value in found if len(value) >= 6}


def text_columns(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type in ('VARCHAR', 'JSON') and table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall()


@pytest.mark.end_to_end  # three clients' whole syncs
def test_the_agency_demo_gives_three_clients_each_a_report_and_copy_holding_nothing_of_another(
    tmp_path, monkeypatch, capsys
):
    from pipelines.agency_demo import DEMO_CLIENTS

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOCIAL_ROI_CLIENTS", raising=False)

    status = main(["demo", "--agency", "--days", "7"])

    printed = capsys.readouterr()
    assert status == 0, printed.err[-3000:]
    data = tmp_path / "data" / "clients"
    published = {client.id: data / client.id / "published.duckdb" for client in DEMO_CLIENTS}
    reports = {client.id: list((data / client.id / "reports").glob("*.html")) for client in DEMO_CLIENTS}
    assert all(path.exists() for path in published.values()) and all(len(found) == 1 for found in reports.values())
    overview = list((tmp_path / "data" / "agency" / "overview").glob("*.html"))
    assert len(overview) == 1
    overview_page = overview[0].read_text(encoding="utf-8")
    assert all(client.name in overview_page for client in DEMO_CLIENTS), "the agency sees every client"

    # each client's figures in its own currency and language
    for client in DEMO_CLIENTS:
        with duckdb.connect(str(published[client.id]), read_only=True) as connection:
            [(currency,)] = connection.execute(
                "select distinct reporting_currency from marts.roi_by_channel"
            ).fetchall()
        assert currency == client.reports_in
        assert f'<html lang="{client.locale}">' in reports[client.id][0].read_text(encoding="utf-8")

    own = {client.id: identifiers(published[client.id]) for client in DEMO_CLIENTS}
    for client in DEMO_CLIENTS:
        for other in DEMO_CLIENTS:
            if other is client:
                continue
            theirs = own[other.id] | {other.brand, other.name}
            assert own[other.id], f"{other.id} has accounts, campaigns and posts to look for"
            # Nordlys's campaign names are the others' without their brand in front: those are not its
            report = reports[client.id][0].read_text(encoding="utf-8")
            named = [value for value in theirs if value in report and not any(value in mine for mine in own[client.id])]
            assert not named, f"{client.id}'s report names {other.id}'s {named[:3]}"
            with duckdb.connect(str(published[client.id]), read_only=True) as connection:
                for schema, table, column in text_columns(connection):
                    leaked = connection.execute(
                        f'select distinct "{column}" from "{schema}"."{table}" '
                        f'where "{column}" in (select unnest(?)) or contains("{column}", ?)',
                        [sorted(theirs), other.brand],
                    ).fetchall()
                    assert not leaked, f"{client.id}'s {schema}.{table}.{column} holds {other.id}'s {leaked[:3]}"


@pytest.mark.end_to_end  # Dagster starts a code server per client, and the probes load the definitions twice
def test_each_client_gets_a_dagster_code_location_with_its_own_nightly_schedule_accounts_and_warehouse(
    tmp_path, monkeypatch, capsys
):
    import json
    import os
    import subprocess
    import sys

    clients = tmp_path / "clients.toml"
    clients.write_text(
        '[clients.fjord]\nname = "Fjord Sko AS"\n[clients.fjord.settings]\nMETA_AD_ACCOUNT_IDS = "act_111"\n'
        'META_ACCESS_TOKEN = "env:AGENCY_META_TOKEN"\n'
        '\n[clients.hav]\nname = "Havbris"\n[clients.hav.settings]\nMETA_AD_ACCOUNT_IDS = "act_222"\n'
        'META_ACCESS_TOKEN = "env:AGENCY_META_TOKEN"\nSOCIAL_ROI_CURRENCY = "EUR"\n',
        encoding="utf-8",
    )
    workspace = tmp_path / "workspace.yaml"
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(clients))
    monkeypatch.chdir(tmp_path)

    assert main(["clients", "--workspace", str(workspace)]) == 0
    capsys.readouterr()

    env = {
        **os.environ,
        "AGENCY_META_TOKEN": "agency-token-for-the-test",
        "META_AD_ACCOUNT_IDS": "act_999",  # the process's own advertiser: no client's location sees it
        "DAGSTER_HOME": str(tmp_path / "agency_dagster_home"),
    }
    (tmp_path / "agency_dagster_home").mkdir()
    # Dagster itself loads the workspace, each location in a server process of its own, as `dagster dev` does
    validated = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(workspace), "--load-with-grpc"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validated.returncode == 0, validated.stdout[-2000:] + validated.stderr[-2000:]
    assert "fjord" in validated.stderr + validated.stdout and "hav" in validated.stderr + validated.stdout

    probe = (
        "import json, os, sys\n"
        "import pipelines.client_locations as locations\n"
        "from pipelines.settings import Settings\n"
        "defs = getattr(locations, sys.argv[1])\n"
        "settings = Settings.from_env()\n"
        "try:\n"
        "    getattr(locations, sys.argv[2])\n"
        "    second = 'served'\n"
        "except Exception as refused:\n"
        "    second = str(refused)\n"
        "pools = sorted({asset.op.pool for asset in defs.assets})\n"
        "tags = defs.resolve_job_def('sync').tags\n"
        "print(json.dumps({'schedules': sorted(s.name for s in defs.schedules), 'warehouse': str(settings.warehouse),\n"
        "    'currency': settings.reporting_currency, 'accounts': os.environ.get('META_AD_ACCOUNT_IDS'), 'second': second,\n"
        "    'pools': pools, 'sync_tags': tags}))\n"
    )
    meta_token_tags = set()
    for client, other, account, currency in (("fjord", "hav", "act_111", "NOK"), ("hav", "fjord", "act_222", "EUR")):
        loaded = subprocess.run(
            [sys.executable, "-c", probe, client, other], env=env, capture_output=True, text=True, timeout=300
        )
        assert loaded.returncode == 0, loaded.stderr[-2000:]
        seen = json.loads(loaded.stdout.strip().splitlines()[-1])
        assert seen["schedules"] == ["monthly_report", "nightly_sync"]
        assert seen["warehouse"] == str((tmp_path / "data" / "clients" / client / "warehouse.duckdb").resolve())
        assert (seen["accounts"], seen["currency"]) == (account, currency)
        assert "give client" in seen["second"] and "a code location of its own" in seen["second"]
        # a team's queue (deploy/dagster.yaml): one run at a time per client's pool, two syncs at a time per token
        assert seen["pools"] == [f"warehouse/{client}"] == [seen["sync_tags"]["social_roi/warehouse_pool"]]
        meta_token_tags.add(seen["sync_tags"]["social_roi/meta_token"])
    assert len(meta_token_tags) == 1, "the two clients share the agency's token, so their syncs share its limit"
    fingerprint = meta_token_tags.pop()
    assert len(fingerprint) == 16 and set(fingerprint) <= set("0123456789abcdef"), "a fingerprint, never the token"
