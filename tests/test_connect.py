"""`social-roi connect` against the sandbox over real HTTP: from credentials alone to a configuration
that holds every account a sync can read, no secret, and the same refusals `social-roi check` gives."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import requests

from conftest import sandbox_settings
from connectors.linkedin_ads import discovery as linkedin_discovery
from connectors.redaction import secret_settings
from connectors.registry import raw_tables
from connectors.sandbox.facebook_pages import PAGE_WITHOUT_ANALYZE_ID
from connectors.sandbox.ga4_admin import UNSHARED_PROPERTY_ID
from connectors.sandbox.linkedin_ads import SANDBOX_CLIENT_ID, STRANGER_AD_ACCOUNT_ID
from connectors.sandbox.linkedin_pages import PARTNER_ORGANIZATION_ID
from connectors.sandbox.meta_ads import SANDBOX_APP_ID, SANDBOX_APP_SECRET, SANDBOX_SHORT_LIVED_TOKEN
from pipelines.check import FAILED, check_all
from pipelines.cli import main
from pipelines.connect import run_connect
from pipelines.setting_files import SECRETS_FILE, SETTINGS_FILE

# The settings connect writes: every platform's list of accounts.
ID_SETTINGS = (
    "META_AD_ACCOUNT_IDS",
    "META_PAGE_IDS",
    "INSTAGRAM_ACCOUNT_IDS",
    "LINKEDIN_AD_ACCOUNT_IDS",
    "LINKEDIN_ORGANIZATION_IDS",
    "GA4_PROPERTY_IDS",
)
PLATFORM_PREFIXES = ("META_", "INSTAGRAM_", "LINKEDIN_", "GA4_", "GOOGLE_")


@pytest.fixture
def credentials_only(sandbox, tmp_path, monkeypatch) -> Iterator[dict[str, str]]:
    """The process's environment holds the sandbox's credentials and addresses but not one account id,
    as a new user's does; the settings and secrets files are this test's own. Returns the sandbox's
    whole environment: what a configuration written by hand would hold."""
    full = sandbox_settings(sandbox)
    for name in [name for name in os.environ if name.startswith(PLATFORM_PREFIXES)]:
        monkeypatch.delenv(name)
    for name, value in full.items():
        if name not in ID_SETTINGS:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv(SETTINGS_FILE, str(tmp_path / "config" / "settings.toml"))
    monkeypatch.setenv(SECRETS_FILE, str(tmp_path / "home" / "secrets.toml"))
    monkeypatch.chdir(tmp_path)
    before = set(os.environ)
    yield full
    # the CLI puts what the files hold into the process's environment: none of it outlives the test (what a
    # run itself sets, dbt's directory on PATH, stays for the next run in this process, as in the CLI)
    for name in set(os.environ) - before:
        del os.environ[name]


def written(tmp_path: Path) -> dict[str, str]:
    return tomllib.loads((tmp_path / "config" / "settings.toml").read_text())


def id_set(value: str) -> set[str]:
    """The accounts of a setting, by their number: act_1 and 1, urn:li:organization:5 and 5 are one."""
    return {re.sub(r"\D*(\d+)$", r"\1", part.strip()) for part in value.split(",") if part.strip()}


def test_connect_all_writes_every_account_a_sync_can_read_and_no_secret(credentials_only, tmp_path, capsys):
    status = main(["connect", "--all"])

    printed = capsys.readouterr()
    assert status == 0, printed
    settings = written(tmp_path)
    for setting in ID_SETTINGS:
        assert id_set(settings[setting]) == id_set(credentials_only[setting]), setting
    text = (tmp_path / "config" / "settings.toml").read_text()
    for secret in secret_settings(credentials_only):
        assert secret not in text, "a secret was written to the settings file"
    # what a sync could not read is listed with its refusal and left out
    assert PAGE_WITHOUT_ANALYZE_ID in printed.out and PAGE_WITHOUT_ANALYZE_ID not in text
    assert PARTNER_ORGANIZATION_ID in printed.out and PARTNER_ORGANIZATION_ID not in text


def test_every_refusal_reads_the_same_in_connect_and_in_check(credentials_only, tmp_path, capsys):
    refused = {
        "META_PAGE_IDS": PAGE_WITHOUT_ANALYZE_ID,
        "LINKEDIN_ORGANIZATION_IDS": f"urn:li:organization:{PARTNER_ORGANIZATION_ID}",
        "LINKEDIN_AD_ACCOUNT_IDS": f"urn:li:sponsoredAccount:{STRANGER_AD_ACCOUNT_ID}",
        "GA4_PROPERTY_IDS": f"properties/{UNSHARED_PROPERTY_ID}",
    }
    # a configuration from before: the ad account and the property are no longer shared with this login
    settings_file = tmp_path / "config" / "settings.toml"
    settings_file.parent.mkdir()
    settings_file.write_text(
        f'LINKEDIN_AD_ACCOUNT_IDS = "{refused["LINKEDIN_AD_ACCOUNT_IDS"]}"\n'
        f'GA4_PROPERTY_IDS = "{refused["GA4_PROPERTY_IDS"]}"\n'
    )

    status = main(["connect", "--all"])

    printed = capsys.readouterr().out
    assert status == 0, printed
    check_lines = check_all({**credentials_only, **refused})
    refusals = {line.subject: line.detail or "" for line in check_lines if line.status == FAILED}
    assert set(refusals) == {"facebook_pages", "linkedin_pages", "linkedin", "ga4"}, refusals
    for platform, detail in refusals.items():
        assert detail and f"FAILED: {detail}" in printed, f"{platform}'s refusal differs between connect and check"
    assert "Super admin" in refusals["linkedin_pages"]
    assert "View Page performance" in refusals["facebook_pages"]
    assert "Manage access" in refusals["linkedin"]
    assert "Property access management" in refusals["ga4"]
    # the refused ones nobody configured are left out; those the configuration held stay, loudly: a check cannot
    # tell lost access from a passing outage
    settings = written(tmp_path)
    assert PAGE_WITHOUT_ANALYZE_ID not in settings["META_PAGE_IDS"]
    assert PARTNER_ORGANIZATION_ID not in settings["LINKEDIN_ORGANIZATION_IDS"]
    assert STRANGER_AD_ACCOUNT_ID in settings["LINKEDIN_AD_ACCOUNT_IDS"]
    assert UNSHARED_PROPERTY_ID in settings["GA4_PROPERTY_IDS"]
    assert f"WARNING: properties/{UNSHARED_PROPERTY_ID} stays configured though a sync cannot read it now" in printed


def test_choosing_an_account_a_sync_cannot_read_writes_nothing(credentials_only, tmp_path, capsys):
    first_account = credentials_only["META_AD_ACCOUNT_IDS"].split(",")[0]

    status = main(["connect", "meta", "--accounts", f"{first_account},{PAGE_WITHOUT_ANALYZE_ID}"])

    assert status == 2
    error = capsys.readouterr().err
    assert PAGE_WITHOUT_ANALYZE_ID in error and "Nothing was written" in error
    assert not (tmp_path / "config" / "settings.toml").exists()


def listed_rows(lines: list[str]) -> list[tuple[int, str, str]]:
    """(number, kind, id) of each numbered line connect printed."""
    rows = []
    for line in lines:
        for row in line.splitlines():
            cells = re.split(r"\s{2,}", row.strip())
            if cells and re.fullmatch(r"\[\d+\]", cells[0]):
                rows.append((int(cells[0][1:-1]), cells[1], cells[2]))
    return rows


def test_accounts_chosen_by_number_are_the_only_ones_written(credentials_only, tmp_path):
    out: list[str] = []
    target = tmp_path / "chosen.toml"
    picked: dict[str, list[str]] = {}

    def answer(_prompt: str) -> str:
        """The user types the first property's number and a range over the first two ad accounts."""
        rows = listed_rows(out)
        prop = next(row for row in rows if row[1] == "property")
        ads = [row for row in rows if row[1] == "ad account"][:2]
        picked.update(property=[prop[2]], ads=[row[2] for row in ads])
        return f"{prop[0]}, {ads[0][0]}-{ads[1][0]}"

    def write(values):
        target.write_text("\n".join(f'{name} = "{value}"' for name, value in values.items() if value))
        return target

    status = run_connect(
        ["ga4", "meta"],
        dict(os.environ),
        every_usable=False,
        accounts=None,
        ask=answer,
        write=write,
        set_by_environment=frozenset(),
        say=out.append,
    )

    assert status == 0, "\n".join(out)
    chosen = tomllib.loads(target.read_text())
    assert chosen["GA4_PROPERTY_IDS"].split(",") == picked["property"]
    assert chosen["META_AD_ACCOUNT_IDS"].split(",") == picked["ads"]
    assert "META_PAGE_IDS" not in chosen  # none chosen: the setting is removed


def test_a_setting_the_environment_also_sets_is_said_to_win_over_the_file(credentials_only, monkeypatch, capsys):
    monkeypatch.setenv("GA4_PROPERTY_IDS", "properties/1")

    assert main(["connect", "ga4", "--all"]) == 0

    assert "GA4_PROPERTY_IDS is also set in the environment, which wins" in capsys.readouterr().out


def test_a_clients_accounts_go_to_its_table_of_the_clients_file(credentials_only, tmp_path, monkeypatch, capsys):
    clients = tmp_path / "clients.toml"
    clients.write_text(
        f'[clients.fjord]\nname = "Fjord Sko AS"\n[clients.fjord.settings]\nGA4_API_URL = "{credentials_only["GA4_API_URL"]}"\n'
    )
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(clients))

    status = main(["--client", "fjord", "connect", "ga4", "--all"])

    assert status == 0, capsys.readouterr()
    table = tomllib.loads(clients.read_text())["clients"]["fjord"]["settings"]
    assert id_set(table["GA4_PROPERTY_IDS"]) == id_set(credentials_only["GA4_PROPERTY_IDS"])
    assert not (tmp_path / "config" / "settings.toml").exists()


def test_a_short_lived_meta_token_is_exchanged_and_kept_in_the_secrets_file_only(
    credentials_only, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("META_ACCESS_TOKEN", SANDBOX_SHORT_LIVED_TOKEN)
    monkeypatch.setenv("META_APP_ID", SANDBOX_APP_ID)
    monkeypatch.setenv("META_APP_SECRET", SANDBOX_APP_SECRET)

    status = main(["connect", "meta", "--exchange-token", "--all"])

    printed = capsys.readouterr()
    assert status == 0, printed
    secrets = tomllib.loads((tmp_path / "home" / "secrets.toml").read_text())
    long_lived = secrets["META_ACCESS_TOKEN"]
    assert long_lived != SANDBOX_SHORT_LIVED_TOKEN
    assert long_lived not in printed.out + printed.err
    assert long_lived not in (tmp_path / "config" / "settings.toml").read_text()
    assert id_set(written(tmp_path)["META_AD_ACCOUNT_IDS"]) == id_set(credentials_only["META_AD_ACCOUNT_IDS"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def a_browser_that_allows(monkeypatch) -> list[threading.Thread]:
    """webbrowser.open as a member's browser: it follows LinkedIn's consent redirect back to connect's
    loopback address (the sandbox plays the member who clicks Allow)."""
    opened: list[threading.Thread] = []

    def open_url(url: str, *_args, **_kwargs) -> bool:
        browser = threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 30}, daemon=True)
        browser.start()
        opened.append(browser)
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    return opened


def test_linkedin_sign_in_keeps_the_refresh_token_in_the_secrets_file_and_lists_the_members_accounts(
    sandbox, credentials_only, tmp_path, monkeypatch, capsys
):
    for name in ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_REFRESH_TOKEN", "LINKEDIN_CLIENT_ID"):
        monkeypatch.delenv(name)
    port = free_port()
    sandbox.linkedin.register_redirect_url(linkedin_discovery.redirect_url(port))
    opened = a_browser_that_allows(monkeypatch)

    status = main(["connect", "linkedin", "--client-id", SANDBOX_CLIENT_ID, "--redirect-port", str(port), "--all"])

    printed = capsys.readouterr()
    assert status == 0, printed
    assert len(opened) == 1
    secrets = tomllib.loads((tmp_path / "home" / "secrets.toml").read_text())
    # the client secret is kept too: a nightly run does not see the shell it was exported in
    assert set(secrets) == {"LINKEDIN_ACCESS_TOKEN", "LINKEDIN_REFRESH_TOKEN", "LINKEDIN_CLIENT_SECRET"}
    assert oct((tmp_path / "home" / "secrets.toml").stat().st_mode & 0o777) == "0o600"
    settings = written(tmp_path)
    assert settings["LINKEDIN_CLIENT_ID"] == SANDBOX_CLIENT_ID
    assert id_set(settings["LINKEDIN_AD_ACCOUNT_IDS"]) == id_set(credentials_only["LINKEDIN_AD_ACCOUNT_IDS"])
    assert secrets["LINKEDIN_REFRESH_TOKEN"] not in printed.out + printed.err


@pytest.mark.end_to_end  # a whole sync after connect: every platform fetched, every model built
def test_connect_all_then_sync_with_no_other_setting_lands_every_sources_rows_renewing_linkedins_expired_token(
    sandbox, credentials_only, tmp_path, monkeypatch, capsys
):
    from conftest import YESTERDAY

    for name in ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_REFRESH_TOKEN", "LINKEDIN_CLIENT_ID"):
        monkeypatch.delenv(name)
    port = free_port()
    sandbox.linkedin.register_redirect_url(linkedin_discovery.redirect_url(port))
    a_browser_that_allows(monkeypatch)
    assert main(["connect", "linkedin", "--client-id", SANDBOX_CLIENT_ID, "--redirect-port", str(port)]) == 0
    assert main(["connect", "--all"]) == 0, capsys.readouterr()
    # sixty days later: the access token connect kept has expired, its refresh token has not
    linkedin = sandbox.linkedin
    linkedin.expired_tokens.update(linkedin.valid_tokens)
    issued = linkedin.tokens_issued

    status = main(["sync", "--start", str(YESTERDAY - dt.timedelta(days=2)), "--end", str(YESTERDAY)])

    assert status == 0, capsys.readouterr()
    assert linkedin.tokens_issued > issued
    with duckdb.connect(str(tmp_path / "data" / "published.duckdb"), read_only=True) as connection:
        landed = {
            table.name: connection.execute(f"select count(*) from raw.{table.name}").fetchone()[0]  # type: ignore[index]
            for platform, table in raw_tables()
            if not platform.reference_data and platform.name != "follower_snapshots"
        }
        channels = {row[0] for row in connection.execute("select distinct channel from marts.cost_daily").fetchall()}
    assert {name for name, rows in landed.items() if rows == 0} == set(), landed
    assert {"meta", "linkedin"} <= channels


def test_a_client_whose_id_starts_with_a_digit_keeps_its_token_under_a_name_every_command_can_read(
    credentials_only, tmp_path, monkeypatch, capsys
):
    # a client id may start with a digit (3m); an environment variable's name may not
    clients = tmp_path / "clients.toml"
    clients.write_text(
        '[clients.3m]\nname = "3M Norge"\n[clients.3m.settings]\n'
        f'META_GRAPH_URL = "{credentials_only["META_GRAPH_URL"]}"\nMETA_APP_ID = "{SANDBOX_APP_ID}"\n'
        'META_APP_SECRET = "env:AGENCY_META_APP_SECRET"\nMETA_ACCESS_TOKEN = "env:AGENCY_SHORT_LIVED_TOKEN"\n'
    )
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(clients))
    monkeypatch.setenv("AGENCY_META_APP_SECRET", SANDBOX_APP_SECRET)
    monkeypatch.setenv("AGENCY_SHORT_LIVED_TOKEN", SANDBOX_SHORT_LIVED_TOKEN)

    status = main(["--client", "3m", "connect", "meta", "--exchange-token", "--all"])

    assert status == 0, capsys.readouterr()
    table = tomllib.loads(clients.read_text())["clients"]["3m"]["settings"]
    variable = table["META_ACCESS_TOKEN"].removeprefix("env:")
    assert tomllib.loads((tmp_path / "home" / "secrets.toml").read_text())[variable] != SANDBOX_SHORT_LIVED_TOKEN
    assert main(["clients"]) == 0, capsys.readouterr().err


def test_an_outage_during_connect_all_leaves_a_configured_property_configured(
    sandbox, credentials_only, tmp_path, capsys
):
    settings_file = tmp_path / "config" / "settings.toml"
    settings_file.parent.mkdir()
    settings_file.write_text(f'GA4_PROPERTY_IDS = "{credentials_only["GA4_PROPERTY_IDS"]}"\n')
    sandbox.faults.arm("ga4", "hourly_quota", times=None)  # the property's hourly quota spent by tonight's sync

    main(["connect", "ga4", "--all"])

    assert id_set(written(tmp_path).get("GA4_PROPERTY_IDS", "")) == id_set(credentials_only["GA4_PROPERTY_IDS"]), (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("login", "setting"),
    [
        (["linkedin", "--client-id", SANDBOX_CLIENT_ID], "LINKEDIN_CLIENT_SECRET"),
        (["meta", "--exchange-token"], "META_APP_ID"),
    ],
)
def test_a_clients_sign_in_without_the_apps_settings_in_its_table_says_to_write_them_there(
    credentials_only, tmp_path, monkeypatch, capsys, login, setting
):
    # exported in the shell, as the README's single-advertiser steps do: a client's run does not read it
    monkeypatch.setenv("META_APP_ID", SANDBOX_APP_ID)
    clients = tmp_path / "clients.toml"
    clients.write_text('[clients.fjord]\nname = "Fjord Sko AS"\n')
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(clients))

    status = main(["--client", "fjord", "connect", *login])

    error = capsys.readouterr().err
    assert status == 2
    assert f"{setting} is not set for client 'fjord'" in error and "[clients.fjord.settings]" in error, error
    assert not (tmp_path / "home" / "secrets.toml").exists()


def test_an_id_of_another_kind_with_the_same_number_is_not_taken_for_the_account(credentials_only, tmp_path, capsys):
    organization = credentials_only["LINKEDIN_ORGANIZATION_IDS"].split(",")[0].rpartition(":")[2]

    status = main(["connect", "linkedin", "--accounts", f"urn:li:sponsoredAccount:{organization}"])

    assert status == 2
    assert "not among the accounts these credentials can see" in capsys.readouterr().err
    assert not (tmp_path / "config" / "settings.toml").exists()
