"""An agency's clients file: each client's run sees its own accounts, files and warehouse, and no
secret is ever written in the file."""

import os
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.clients import ClientsError, client_environment, read_clients
from pipelines.run_limits import warehouse_pool

AGENCY_TOKEN = "agency-system-user-token-0001"


def write_clients(directory, text: str):
    path = directory / "clients.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_clients_run_sees_its_own_accounts_and_files_and_none_of_the_process_or_another_client(tmp_path):
    path = write_clients(
        tmp_path,
        """
[clients.fjord]
name = "Fjord Sko AS"
[clients.fjord.settings]
META_AD_ACCOUNT_IDS = ["act_111", "act_112"]
META_ACCESS_TOKEN = "env:AGENCY_META_TOKEN"
SOCIAL_ROI_CURRENCY = "NOK"
SOCIAL_ROI_COST_LEDGER = "fjord/cost_ledger.csv"

[clients.hav]
name = "Havbris Reiser"
[clients.hav.settings]
LINKEDIN_AD_ACCOUNT_IDS = "5001"
LINKEDIN_ACCESS_TOKEN = "env:HAV_LINKEDIN_TOKEN"
SOCIAL_ROI_CURRENCY = "EUR"
SOCIAL_ROI_REPORT_LOCALE = "en"
""",
    )
    # the process still holds a single advertiser's settings, and the agency's mail server
    process = {
        "META_AD_ACCOUNT_IDS": "act_999",
        "META_ACCESS_TOKEN": "the-old-single-advertiser-token",
        "SOCIAL_ROI_COST_LEDGER": "/old/cost_ledger.csv",
        "SOCIAL_ROI_SMTP_HOST": "smtp.agency.example",
        "AGENCY_META_TOKEN": AGENCY_TOKEN,
        "HAV_LINKEDIN_TOKEN": "hav-linkedin-token-0002",
    }

    clients = read_clients(path)
    fjord = client_environment(clients["fjord"], process)
    hav = client_environment(clients["hav"], process)

    assert fjord["META_AD_ACCOUNT_IDS"] == "act_111,act_112" and fjord["META_ACCESS_TOKEN"] == AGENCY_TOKEN
    assert fjord["SOCIAL_ROI_COST_LEDGER"] == str((tmp_path / "fjord" / "cost_ledger.csv").resolve())
    assert "LINKEDIN_AD_ACCOUNT_IDS" not in fjord and "SOCIAL_ROI_REPORT_LOCALE" not in fjord
    assert "META_AD_ACCOUNT_IDS" not in hav and "SOCIAL_ROI_COST_LEDGER" not in hav, (
        "nothing of the process's advertiser"
    )
    assert hav["SOCIAL_ROI_CURRENCY"] == "EUR" and hav["LINKEDIN_ACCESS_TOKEN"] == "hav-linkedin-token-0002"
    assert fjord["SOCIAL_ROI_SMTP_HOST"] == hav["SOCIAL_ROI_SMTP_HOST"] == "smtp.agency.example", "the agency's own"
    assert fjord["SOCIAL_ROI_WAREHOUSE"].endswith("data/clients/fjord/warehouse.duckdb")
    assert hav["SOCIAL_ROI_WAREHOUSE"].endswith("data/clients/hav/warehouse.duckdb")
    assert fjord["DAGSTER_HOME"] != hav["DAGSTER_HOME"], "two clients' runs share no Dagster storage"


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ('META_ACCESS_TOKEN = "EAAB-a-real-token"', 'write META_ACCESS_TOKEN = "env:<VARIABLE>"'),
        ('LINKEDIN_CLIENT_SECRET = "s3cret-value"', "holds a secret, which never goes in the settings or clients file"),
        ('META_AD_ACOUNT_IDS = "act_1"', "META_AD_ACOUNT_IDS is not a setting this file can have"),
        ('SOCIAL_ROI_SMTP_HOST = "smtp.example"', "SOCIAL_ROI_SMTP_HOST is the agency's, not a client's"),
        ('META_ACCESS_TOKEN = "env:not a name"', "does not name an environment variable"),
    ],
)
def test_a_bad_client_setting_is_refused_naming_the_client_the_setting_and_the_fix(tmp_path, setting, says):
    path = write_clients(tmp_path, f'[clients.fjord]\nname = "Fjord Sko AS"\n[clients.fjord.settings]\n{setting}\n')

    with pytest.raises(ClientsError, match="client 'fjord'") as refused:
        read_clients(path)

    assert says in str(refused.value)
    assert "EAAB-a-real-token" not in str(refused.value) and "s3cret-value" not in str(refused.value)


def test_a_credential_variable_that_is_not_set_is_named_and_no_value_is_guessed(tmp_path):
    path = write_clients(
        tmp_path,
        '[clients.fjord]\nname = "Fjord"\n[clients.fjord.settings]\nMETA_ACCESS_TOKEN = "env:FJORD_META_TOKEN"\n',
    )

    with pytest.raises(ClientsError, match="FJORD_META_TOKEN, which is not set"):
        client_environment(read_clients(path)["fjord"], {"META_ACCESS_TOKEN": "the-process-token"})


def test_with_a_clients_file_a_command_for_one_advertiser_asks_which_client(tmp_path, monkeypatch, capsys):
    path = write_clients(tmp_path, '[clients.fjord]\nname = "Fjord"\n[clients.hav]\nname = "Hav"\n')
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(path))

    status = main(["sql", "select 1"])

    assert status == 2
    assert "choose one with --client (fjord, hav)" in capsys.readouterr().err


@pytest.mark.end_to_end  # two whole syncs, one per client
def test_two_clients_from_one_file_sync_into_warehouses_that_hold_only_their_own_accounts(
    sandbox, tmp_path, monkeypatch, capsys
):
    from conftest import SETTLED_WINDOW

    env = sandbox.environment()
    first, second = (f"act_{account.id}" for account in sandbox.advertiser.meta_accounts[:2])
    monkeypatch.setenv("SANDBOX_META_TOKEN", env["META_ACCESS_TOKEN"])
    monkeypatch.setenv("SANDBOX_LINKEDIN_TOKEN", env["LINKEDIN_ACCESS_TOKEN"])
    for name in [name for name in os.environ if name.startswith(("META_", "LINKEDIN_", "GA4_"))]:
        monkeypatch.delenv(name)
    meta = f'META_GRAPH_URL = "{env["META_GRAPH_URL"]}"\nMETA_ACCESS_TOKEN = "env:SANDBOX_META_TOKEN"\n'
    meta += f'META_POLL_INTERVAL_SECONDS = "{env["META_POLL_INTERVAL_SECONDS"]}"\n'
    path = write_clients(
        tmp_path,
        f'[clients.fjord]\nname = "Fjord Sko AS"\n[clients.fjord.settings]\nMETA_AD_ACCOUNT_IDS = "{first}"\n{meta}'
        f'\n[clients.hav]\nname = "Havbris"\n[clients.hav.settings]\nMETA_AD_ACCOUNT_IDS = "{second}"\n{meta}'
        f'LINKEDIN_AD_ACCOUNT_IDS = "{env["LINKEDIN_AD_ACCOUNT_IDS"]}"\nLINKEDIN_API_URL = "{env["LINKEDIN_API_URL"]}"\n'
        'LINKEDIN_ACCESS_TOKEN = "env:SANDBOX_LINKEDIN_TOKEN"\n'
        f'SOCIAL_ROI_FX_CURRENCIES = "EUR"\nNORGES_BANK_API_URL = "{env["NORGES_BANK_API_URL"]}"\n',
    )
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(path))
    monkeypatch.chdir(tmp_path)
    days = ["--start", str(SETTLED_WINDOW[0]), "--end", str(SETTLED_WINDOW[1])]

    for client in ("fjord", "hav"):
        assert main(["--client", client, "sync", *days]) == 0, "\n".join(capsys.readouterr())

    def accounts(client: str) -> set[tuple[str, str]]:
        published = tmp_path / "data" / "clients" / client / "published.duckdb"
        with duckdb.connect(str(published), read_only=True) as connection:
            return set(connection.execute("select distinct channel, account_id from marts.cost_daily").fetchall())

    assert accounts("fjord") == {("meta", first.removeprefix("act_"))}
    linkedin = env["LINKEDIN_AD_ACCOUNT_IDS"].rpartition(":")[2]  # the URN's id, as the marts hold it
    assert accounts("hav") == {("meta", second.removeprefix("act_")), ("linkedin", linkedin)}
    capsys.readouterr()
    assert main(["--client", "fjord", "sql", "select count(distinct account_id) from marts.cost_daily"]) == 0
    assert "1" in capsys.readouterr().out


def test_a_client_on_a_lake_keeps_its_catalog_as_written_and_its_own_files_under_its_directory(tmp_path):
    path = write_clients(
        tmp_path,
        """
[clients.fjord]
name = "Fjord Sko AS"
[clients.fjord.settings]
SOCIAL_ROI_WAREHOUSE = "ducklake:postgres:dbname=fjord host=db.internal user=fjord"
SOCIAL_ROI_LAKE_DATA_PATH = "shared/fjord"
""",
    )

    fjord = client_environment(read_clients(path)["fjord"], {})

    # an address, not a path to resolve; the data path is one, relative to the clients file
    assert fjord["SOCIAL_ROI_WAREHOUSE"] == "ducklake:postgres:dbname=fjord host=db.internal user=fjord"
    assert fjord["SOCIAL_ROI_LAKE_DATA_PATH"] == str((tmp_path / "shared" / "fjord").resolve())
    own = Path("data/clients/fjord").resolve()
    assert fjord["SOCIAL_ROI_LOCAL_DIR"] == str(own)
    assert fjord["DAGSTER_HOME"] == str(own / ".dagster_home") and fjord["SOCIAL_ROI_REPORT_DIR"] == str(
        own / "reports"
    )


def test_on_a_teams_instance_in_postgresql_every_client_records_its_runs_there_in_a_pool_of_its_own(tmp_path):
    path = write_clients(
        tmp_path,
        '[clients.fjord]\nname = "Fjord"\n[clients.fjord.settings]\nSOCIAL_ROI_CURRENCY = "NOK"\n'
        '[clients.hav]\nname = "Hav"\n[clients.hav.settings]\nSOCIAL_ROI_CURRENCY = "EUR"\n',
    )
    clients = read_clients(path)
    team_home, laptop_home = tmp_path / "team_home", tmp_path / "laptop_home"
    team_home.mkdir()
    (team_home / "dagster.yaml").write_text((Path(__file__).parents[1] / "deploy" / "dagster.yaml").read_text())
    laptop_home.mkdir()
    (laptop_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    on_the_team = [client_environment(client, {"DAGSTER_HOME": str(team_home)}) for client in clients.values()]
    on_a_laptop = [client_environment(client, {"DAGSTER_HOME": str(laptop_home)}) for client in clients.values()]

    assert [env["DAGSTER_HOME"] for env in on_the_team] == [str(team_home)] * 2
    assert [warehouse_pool(env) for env in on_the_team] == ["warehouse/fjord", "warehouse/hav"]
    assert len({env["DAGSTER_HOME"] for env in on_a_laptop} | {str(laptop_home)}) == 3, "one SQLite home per client"
