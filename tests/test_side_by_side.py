"""An agency's clients synced side by side (`social-roi sync --all-clients`): each in its own process, at most
SOCIAL_ROI_PARALLEL_CLIENTS at a time, none waiting on another's lock, one failure holding no other, and the
clients on one Meta token staying within its limit together."""

import os
import re

import dagster as dg
import pytest

from pipelines.cli import main
from pipelines.settings import PROJECT_ROOT


def write_clients(directory, text: str):
    path = directory / "clients.toml"
    path.write_text(text, encoding="utf-8")
    return path


def two_meta_clients(sandbox, directory, monkeypatch, hav_extra: str = "") -> tuple[str, str]:
    """A clients file with two clients on the sandbox's one Meta token, each with its own ad account; the
    process's environment holds the token and no platform setting of its own."""
    env = sandbox.environment()
    first, second = (f"act_{account.id}" for account in sandbox.advertiser.meta_accounts[:2])
    monkeypatch.setenv("SANDBOX_META_TOKEN", env["META_ACCESS_TOKEN"])
    for name in [name for name in os.environ if name.startswith(("META_", "LINKEDIN_", "GA4_"))]:
        monkeypatch.delenv(name)
    settings = ("META_GRAPH_URL", "META_POLL_INTERVAL_SECONDS", "META_USAGE_WINDOW_SECONDS")
    meta = "".join(f'{name} = "{env[name]}"\n' for name in settings if name in env)
    meta += 'META_ACCESS_TOKEN = "env:SANDBOX_META_TOKEN"\n'
    path = write_clients(
        directory,
        f'[clients.fjord]\nname = "Fjord Sko AS"\n[clients.fjord.settings]\nMETA_AD_ACCOUNT_IDS = "{first}"\n{meta}'
        f'\n[clients.hav]\nname = "Havbris"\n[clients.hav.settings]\nMETA_AD_ACCOUNT_IDS = "{second}"\n{meta}{hav_extra}',
    )
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(path))
    monkeypatch.chdir(directory)
    # the children import this checkout's code, as the test does
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    return first.removeprefix("act_"), second.removeprefix("act_")


def insights_jobs(sandbox) -> dict[str, int]:
    """How many report jobs each ad account was asked for, as the sandbox's request log shows."""
    jobs: dict[str, int] = {}
    for method, path in sandbox.request_log:
        started = re.fullmatch(r"/v[\d.]+/act_(\d+)/insights", path)
        if method == "POST" and started:
            jobs[started.group(1)] = jobs.get(started.group(1), 0) + 1
    return jobs


def retries_and_waits(home) -> list[str]:
    """Every step retry, and every wait for the warehouse, recorded in a client's Dagster home."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        found = []
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id):
                if (
                    entry.dagster_event is not None
                    and entry.dagster_event.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
                ):
                    found.append(f"retry {entry.step_key}")
                elif "Waiting for the warehouse" in (entry.user_message or ""):
                    found.append(entry.user_message)
        return found


@pytest.mark.end_to_end  # two whole syncs at once, each in its own process
def test_two_clients_syncs_started_together_on_one_token_both_complete_within_its_limit_without_a_lock_retry(
    tmp_path, monkeypatch, capsys
):
    from conftest import SETTLED_WINDOW
    from connectors.sandbox import Sandbox

    # A token that may make 8 calls in 10 s, whichever process makes them: each client's Meta fetch needs 6
    # (its account, its job, three polls, one page), so two started together would spend 12.
    with Sandbox(seed=7, meta_calls_per_token=8, meta_usage_window_seconds=10) as sandbox:
        first, second = two_meta_clients(sandbox, tmp_path, monkeypatch)
        monkeypatch.setenv("SOCIAL_ROI_PARALLEL_CLIENTS", "2")

        status = main(["sync", "--all-clients", "--start", str(SETTLED_WINDOW[0]), "--end", str(SETTLED_WINDOW[1])])

    out, err = capsys.readouterr()
    data = tmp_path / "data" / "clients"
    logs = {client: (data / client / "last_sync.log").read_text() for client in ("fjord", "hav")}
    assert status == 0, out + err + "\n".join(logs.values())
    assert "2 clients, 2 at a time" in out
    for client in ("fjord", "hav"):
        assert re.search(
            rf"^{client}\s+ok\s+[\d.]+ s\s+log: {re.escape(str(data / client / 'last_sync.log'))}$", out, re.M
        )
        assert "ROI by channel" in logs[client], "the child's own output is in the client's log"
        assert retries_and_waits(data / client / ".dagster_home") == [], "no lock retry, no wait for a warehouse"
    assert insights_jobs(sandbox) == {first: 1, second: 1}, "each client's window fetched once, by its own sync"
    assert sandbox.meta.token_limit_refusals == 0, "no call of either client was refused for the token's limit"
    graph_calls = [path for _method, path in sandbox.request_log if re.match(r"/v\d+\.\d+/", path)]
    assert len(graph_calls) > 8, "together they made more calls than one window allows"


@pytest.mark.end_to_end  # one whole sync (the other client's fails at once)
def test_one_clients_failure_holds_no_other_and_the_command_names_it(sandbox, tmp_path, monkeypatch, capsys):
    from conftest import SETTLED_WINDOW

    # hav's settings are wrong, so its sync fails; fjord's runs all the same, whichever starts first
    two_meta_clients(sandbox, tmp_path, monkeypatch, hav_extra='META_INSIGHTS_LEVEL = "adset-by-hour"\n')
    monkeypatch.setenv("SOCIAL_ROI_PARALLEL_CLIENTS", "1")

    status = main(["sync", "--all-clients", "--start", str(SETTLED_WINDOW[0]), "--end", str(SETTLED_WINDOW[1])])

    out, err = capsys.readouterr()
    assert status == 1, out + err
    assert re.search(r"^fjord\s+ok\s", out, re.M) and re.search(r"^hav\s+failed \(exit 2\)\s", out, re.M), out
    assert "1 of 2 clients failed: hav" in err
    assert (
        "META_INSIGHTS_LEVEL='adset-by-hour'" in (tmp_path / "data" / "clients" / "hav" / "last_sync.log").read_text()
    )


def test_all_clients_without_a_clients_file_says_what_to_set(monkeypatch, capsys):
    monkeypatch.delenv("SOCIAL_ROI_CLIENTS", raising=False)

    status = main(["sync", "--all-clients", "--start", "2026-11-01", "--end", "2026-11-02"])

    assert status == 2
    assert "--all-clients needs a clients file: set SOCIAL_ROI_CLIENTS" in capsys.readouterr().err


def test_a_parallel_clients_setting_that_is_not_a_count_is_refused_before_any_client_runs(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SOCIAL_ROI_CLIENTS", str(write_clients(tmp_path, '[clients.fjord]\nname = "Fjord"\n')))
    monkeypatch.setenv("SOCIAL_ROI_PARALLEL_CLIENTS", "0")
    monkeypatch.chdir(tmp_path)

    status = main(["sync", "--all-clients", "--start", "2026-11-01", "--end", "2026-11-02"])

    assert status == 2
    assert "SOCIAL_ROI_PARALLEL_CLIENTS='0'" in capsys.readouterr().err
    assert not (tmp_path / "data").exists(), "no client ran"


def test_two_clients_reading_on_one_token_at_once_pause_on_its_shared_usage_and_none_is_refused(yesterday):
    import concurrent.futures
    import datetime as dt

    from connectors.meta_ads.client import MetaAdsClient
    from connectors.meta_ads.settings import MetaAdsSettings
    from connectors.sandbox import Sandbox

    # 8 calls per second for the token, whoever makes them; each client's read of its account takes 6
    with Sandbox(seed=7, meta_calls_per_token=8, meta_usage_window_seconds=1.0) as sandbox:
        settings = MetaAdsSettings.from_env({**sandbox.environment(), "META_POLL_INTERVAL_SECONDS": "0.01"})
        assert settings is not None and settings.usage_window_seconds == 1.0, "the sandbox says its window"
        clients = [MetaAdsClient(settings) for _ in settings.account_ids[:2]]

        def read(client: MetaAdsClient, account: str) -> int:
            return sum(1 for _ in client.insights_pages(account, yesterday - dt.timedelta(days=6), yesterday))

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            pages = list(pool.map(read, clients, settings.account_ids[:2]))

    assert all(count > 0 for count in pages), "both read their account"
    assert sandbox.meta.token_limit_refusals == 0, "no call refused for the token's limit"
    assert sum(client.token_pauses for client in clients) >= 1, "12 calls do not fit in one window: they paused"
