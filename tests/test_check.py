"""`social-roi check` against the sandbox over real HTTP: one verdict per account, what to fix, no secrets."""

import dataclasses
import re

import pytest

from connectors import ga4, linkedin_ads, meta_ads
from connectors.registry import PLATFORMS
from pipelines.check import FAILED, NOT_CONFIGURED, OK, WARNING, check_all, format_lines, run_check

PAID_PLATFORMS = (meta_ads.PLATFORM, linkedin_ads.PLATFORM, ga4.PLATFORM)
SECRET_SETTINGS = ("META_ACCESS_TOKEN", "LINKEDIN_ACCESS_TOKEN", "LINKEDIN_CLIENT_SECRET", "LINKEDIN_REFRESH_TOKEN")


@pytest.fixture
def env(sandbox, tmp_path):
    """Every platform pointed at the sandbox, the warehouse in a directory of its own."""
    return {**sandbox.environment(), "SOCIAL_ROI_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb")}


def verdicts(lines, platform):
    return {line.target: (line.status, line.detail) for line in lines if line.subject == platform}


def assert_no_secret_in(printed: str, env: dict) -> None:
    for setting in SECRET_SETTINGS:
        if env.get(setting):
            assert env[setting] not in printed, f"{setting} leaked into the check's output"


def test_a_configured_installation_reports_every_account_ok(sandbox, env):
    lines = check_all(env, PAID_PLATFORMS)

    advertiser = sandbox.advertiser
    assert verdicts(lines, "meta") == {f"act_{account.id}": (OK, None) for account in advertiser.meta_accounts}
    assert verdicts(lines, "linkedin") == {account.id: (OK, None) for account in advertiser.linkedin_accounts}
    assert verdicts(lines, "ga4") == {f"properties/{advertiser.ga4_property.id}": (OK, None)}
    assert [(line.subject, line.status) for line in lines[:2]] == [("warehouse", OK), ("published", OK)]
    printed, exit_code = run_check(env)
    assert exit_code == 0, printed


def test_an_expired_meta_token_fails_every_meta_account_with_the_fix_and_leaves_the_others_ok(sandbox, env):
    sandbox.faults.arm("meta", "expired_token", times=None)

    lines = check_all(env, PAID_PLATFORMS)

    meta = verdicts(lines, "meta")
    assert set(meta) == {f"act_{account.id}" for account in sandbox.advertiser.meta_accounts}
    for account, (status, detail) in meta.items():
        assert status == FAILED and detail is not None
        assert detail.startswith(f"Meta rejected the access token while reading ad account {account} (code 190")
        assert "set META_ACCESS_TOKEN" in detail
    assert {status for status, _ in verdicts(lines, "linkedin").values()} == {OK}
    assert {status for status, _ in verdicts(lines, "ga4").values()} == {OK}
    assert_no_secret_in(format_lines(lines), env)


def test_unauthenticated_ga4_credentials_fail_the_property_with_the_fix(sandbox, env):
    sandbox.faults.arm("ga4", "unauthenticated", times=None)

    lines = check_all(env, PAID_PLATFORMS)

    [(status, detail)] = verdicts(lines, "ga4").values()
    assert status == FAILED and detail is not None
    assert "UNAUTHENTICATED" in detail and "GOOGLE_APPLICATION_CREDENTIALS" in detail
    assert {status for status, _ in verdicts(lines, "meta").values()} == {OK}
    assert {status for status, _ in verdicts(lines, "linkedin").values()} == {OK}


def test_a_platform_without_settings_is_reported_as_not_configured_with_what_to_set(env):
    without_linkedin = {name: value for name, value in env.items() if not name.startswith("LINKEDIN_")}

    lines = check_all(without_linkedin, PAID_PLATFORMS)

    assert verdicts(lines, "linkedin") == {
        "-": (NOT_CONFIGURED, f"set {linkedin_ads.PLATFORM.credentials_hint} to ingest it")
    }
    assert {status for status, _ in verdicts(lines, "meta").values()} == {OK}
    _printed, exit_code = run_check(without_linkedin)
    assert exit_code == 0  # not configured is a choice, not a failure


def test_a_half_configured_platform_fails_with_what_is_missing(env):
    pages_only = {"META_PAGE_IDS": "", "INSTAGRAM_ACCOUNT_IDS": ""}  # else the token would be for the pages
    lines = check_all({**env, **pages_only, "META_AD_ACCOUNT_IDS": ""}, PAID_PLATFORMS)

    assert verdicts(lines, "meta") == {
        "-": (
            FAILED,
            "META_ACCESS_TOKEN is set but META_AD_ACCOUNT_IDS is not: list the ad account ids, comma-separated (e.g. act_123,456).",
        )
    }


def test_a_linkedin_account_the_token_cannot_read_fails_alone(sandbox, env):
    sandbox.faults.arm("linkedin", "permission_denied", times=1)

    lines = check_all(env, PAID_PLATFORMS)

    statuses = [status for status, _ in verdicts(lines, "linkedin").values()]
    assert statuses.count(FAILED) == 1 and statuses.count(OK) == len(sandbox.advertiser.linkedin_accounts) - 1
    [detail] = [detail for status, detail in verdicts(lines, "linkedin").values() if status == FAILED]
    assert detail is not None and "403" in detail and "Viewer" in detail


def test_every_source_the_sync_ingests_gets_a_line(env):
    lines = check_all(env)

    assert {line.subject for line in lines} >= {platform.name for platform in PLATFORMS}


def test_an_unwritable_warehouse_location_fails_with_the_setting_to_change(env, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the warehouse directory should be")

    lines = check_all({**env, "SOCIAL_ROI_WAREHOUSE": str(blocker / "warehouse.duckdb")}, PAID_PLATFORMS)

    warehouse = next(line for line in lines if line.subject == "warehouse")
    assert warehouse.status == FAILED and "SOCIAL_ROI_WAREHOUSE" in (warehouse.detail or "")


def test_no_secret_reaches_a_line_even_when_a_platform_quotes_it(env):
    token = env["META_ACCESS_TOKEN"]
    careless = dataclasses.replace(
        meta_ads.PLATFORM, check=lambda settings: iter([("act_1", f"refused access_token={settings.access_token}")])
    )

    printed = format_lines(check_all(env, (careless,)))

    assert token not in printed and "access_token=[redacted]" in printed


def test_the_report_reads_one_aligned_line_per_platform_and_account(sandbox, env):
    sandbox.faults.arm("meta", "expired_token", times=None)

    printed = format_lines(
        check_all({name: value for name, value in env.items() if not name.startswith("GA4_")}, PAID_PLATFORMS)
    )

    account = sandbox.advertiser.meta_accounts[0].id
    assert re.search(rf"^meta +act_{account} +FAILED: Meta rejected the access token", printed, re.MULTILINE)
    assert re.search(rf"^linkedin +{sandbox.advertiser.linkedin_accounts[0].id} +OK$", printed, re.MULTILINE)
    assert re.search(r"^ga4 +- +not configured: set GA4_PROPERTY_IDS", printed, re.MULTILINE)
    assert len({line.index(" OK") for line in printed.splitlines() if line.endswith(" OK")}) == 1  # columns line up
    assert_no_secret_in(printed, env)


def test_a_token_that_expires_within_14_days_is_a_warning_in_check_and_in_the_run_that_syncs_it(
    sandbox, env, tmp_path, monkeypatch, instance, yesterday
):
    import logging

    import dagster as dg

    from connectors.sandbox.meta_ads import SANDBOX_EXPIRING_TOKEN
    from pipelines.assets.raw import raw_assets
    from pipelines.run_window import range_tags
    from pipelines.warehouse_writer import RESOURCE_KEY, WarehouseWriter

    expiring = {**env, "META_ACCESS_TOKEN": SANDBOX_EXPIRING_TOKEN}

    lines = check_all(expiring, (meta_ads.PLATFORM,))
    printed, exit_code = run_check(expiring)

    [warning] = [line for line in lines if line.status == WARNING]
    assert warning.target == "credentials" and "expires" in (warning.detail or "")
    assert all(line.status == OK for line in lines if line.subject == "meta" and line is not warning)
    assert exit_code == 0 and f"WARNING: {warning.detail}" in printed
    for name, value in expiring.items():
        monkeypatch.setenv(name, value)
    [asset] = [asset for asset in raw_assets if asset.key.path[-1] == meta_ads.PLATFORM.tables[0].name]
    result = dg.materialize(
        [asset], instance=instance, tags=range_tags(yesterday, yesterday), resources={RESOURCE_KEY: WarehouseWriter()}
    )
    assert result.success
    logged = [record.user_message for record in instance.all_logs(result.run_id) if record.level == logging.WARNING]
    assert f"meta: {warning.detail}" in logged
