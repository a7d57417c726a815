"""Whole runs: real Dagster runs in-process, the real SDKs over HTTP, real dbt, a real DuckDB file.

The session's settled sync (conftest `settled`) is one of them; each test here that changes data
starts from a copy of it and runs only its own action.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests
from facebook_business.api import FacebookAdsApi

from conftest import ORGANIC_PLATFORMS, SETTLED_WINDOW, TOOLS_PERIOD, copy_of_settled
from connectors import clock
from connectors.redaction import SECRET_SETTING
from connectors.sandbox.facebook_pages import page_token
from connectors.sandbox.meta_figures import meta_deliveries
from connectors.sandbox.organic_figures import facebook_pages
from pipelines.cli import main
from pipelines.runs import run_ingestion, run_sync
from test_organic_pipeline import OrganicBefore
from test_roi import CONVERSION_TYPES
from warehouse_sql import query

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def figures(warehouse):
    """Row counts and sums a user would check in each layer."""
    return {
        "raw": query(warehouse, "select count(*), sum(spend), sum(impressions) from raw.meta_ads_insights"),
        "linkedin_raw": query(
            warehouse, "select count(*), sum(cost_in_local_currency), sum(impressions) from raw.linkedin_ads_analytics"
        ),
        "cost": query(
            warehouse,
            "select channel, count(*), sum(spend), sum(spend_reporting), sum(total_cost_reporting) from marts.cost_daily group by 1 order by 1",
        ),
        "conversions": query(
            warehouse,
            "select channel, count(*), sum(platform_conversions), sum(ga4_revenue_reporting) from marts.conversions_daily group by 1 order by 1",
        ),
        "engagement": query(warehouse, "select count(*), sum(engagements) from marts.engagement_daily"),
        "reach": query(warehouse, "select count(*), sum(impressions) from marts.reach_daily"),
        "ga4_raw": query(warehouse, "select count(*), sum(sessions), sum(total_revenue) from raw.ga4_traffic"),
        "ga4_mart": query(
            warehouse,
            "select count(*), sum(sessions), sum(revenue), count(campaign_id) from marts.ga4_traffic_by_campaign",
        ),
        "unmatched": query(warehouse, "select * from marts.unmatched_campaigns order by all"),
        "roi_by_campaign": query(warehouse, "select * from marts.roi_by_campaign order by campaign_id"),
        "roi_by_channel": query(warehouse, "select * from marts.roi_by_channel"),
    }


@pytest.mark.calendar
def test_a_full_sync_lands_every_platform_and_passes_every_check(settled):
    assert settled.succeeded
    evaluations = settled.check_evaluations()
    assert [e.check_name for e in evaluations if not e.passed] == [], (
        "the raw-vs-mart reconciliation and every dbt test pass"
    )
    # The singular tests that read several tables run as asset checks of the mart they guard.
    checked = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert {
        ("marts/cost_daily", "marts_reconcile_with_raw"),
        ("marts/cost_daily", "spend_without_tracked_traffic_share"),
    } <= checked
    counts = figures(settled.warehouse)
    assert counts["raw"][0][0] > 0
    # Every campaign-day Meta delivered on is a cost row; the only other Meta cost rows are the
    # tool's ledger cost on days its campaign delivered nothing (a cost all the same), whichever
    # days of the window those are.
    delivered = "select 1 from raw.meta_ads_insights r where cast(r.date as date) = c.date_day and r.campaign_id = c.campaign_id"
    undelivered = query(
        settled.warehouse,
        f"select campaign_id, date_day, spend, other_costs_reporting from marts.cost_daily c where channel = 'meta' and not exists ({delivered})",
    )
    assert all(
        campaign == settled.tools_campaign_id and TOOLS_PERIOD[0] <= day <= TOOLS_PERIOD[1] and spend == 0 and other > 0
        for campaign, day, spend, other in undelivered
    ), undelivered
    raw_campaign_days = query(
        settled.warehouse, "select count(distinct (date, campaign_id)) from raw.meta_ads_insights"
    )
    meta_cost_rows = next(rows for channel, rows, *_ in counts["cost"] if channel == "meta")
    assert meta_cost_rows == raw_campaign_days[0][0] + len(undelivered)
    assert counts["linkedin_raw"][0][0] > 0
    assert counts["ga4_raw"][0][0] > 0 and counts["ga4_mart"][0][0] == counts["ga4_raw"][0][0]


def figures_of_days(warehouse, first: dt.date, last: dt.date):
    """The daily figures a user would check in each layer, for the days first..last only."""
    days = f"between date '{first}' and date '{last}'"
    return {
        "raw": query(
            warehouse, f"select count(*), sum(spend), sum(impressions) from raw.meta_ads_insights where date {days}"
        ),
        "linkedin_raw": query(
            warehouse,
            f"select count(*), sum(cost_in_local_currency), sum(impressions) from raw.linkedin_ads_analytics where date {days}",
        ),
        "ga4_raw": query(
            warehouse, f"select count(*), sum(sessions), sum(total_revenue) from raw.ga4_traffic where date {days}"
        ),
        **{
            mart: query(warehouse, f"select * from marts.{mart} where date_day {days} order by all")
            for mart in (
                "cost_daily",
                "conversions_daily",
                "engagement_daily",
                "reach_daily",
                "ga4_traffic_by_campaign",
            )
        },
    }


@pytest.mark.end_to_end
def test_materializing_the_year_again_from_the_dagster_cli_changes_no_days_figures_and_meets_no_lock(
    work_env, tmp_path
):
    """`dagster asset materialize` of the year under way as a new user runs it, on a fresh DAGSTER_HOME:
    the code location's default executor runs the steps one after another, so no step meets DuckDB's
    lock or waits for a retry; the year's days up to yesterday are fetched (the raw tables are
    partitioned by year), and the days already loaded keep every figure they had."""
    first, last = SETTLED_WINDOW
    before = figures_of_days(work_env, first, last)
    year = f"{clock.yesterday():%Y}"
    dagster = Path(sys.executable).parent / "dagster"
    (tmp_path / "fresh_home").mkdir()

    finished = subprocess.run(
        [
            str(dagster),
            "asset",
            "materialize",
            # everything but the report, which is partitioned by month
            "--select",
            "* and not key:reports/monthly_report",
            "--partition-range",
            f"{year}...{year}",
            "-m",
            "pipelines.definitions",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path / "fresh_home")},
        capture_output=True,
        text=True,
        timeout=600,
    )

    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-3000:]
    assert "Conflicting lock" not in output and "STEP_UP_FOR_RETRY" not in output
    assert "RUN_SUCCESS" in output
    assert figures_of_days(work_env, first, last) == before
    loaded = query(work_env, "select min(date) from raw.ga4_traffic")[0][0]
    assert loaded == dt.date(int(year), 1, 1), "the whole year up to yesterday is fetched"


@pytest.mark.end_to_end  # a whole pipeline run: every platform or every model (see pyproject's markers)
def test_a_restated_day_is_updated_on_every_platform_and_no_other_day_moves(work_env, sandbox, yesterday):
    """The nightly re-sync after the platforms restate: a restated day moves and no other; last
    week's organic posts gain their late engagement and no older post moves; a snapshot taken on
    an earlier night is never rewritten; a Page whose token lost its permission keeps what it had."""
    organic = OrganicBefore.read(work_env, sandbox, yesterday)
    by_day = {
        "meta": "select date_day, sum(platform_conversions) from marts.conversions_daily where channel = 'meta' group by 1",
        "linkedin": "select date_day, sum(platform_conversions) from marts.conversions_daily where channel = 'linkedin' group by 1",
        "ga4": "select date_day, sum(sessions) from marts.ga4_traffic_by_campaign group by 1",
    }
    before = {platform: dict(query(work_env, sql)) for platform, sql in by_day.items()}
    roi_before = query(
        work_env, "select platform_conversions from marts.roi_by_channel where channel = 'meta' and media_type = 'paid'"
    )

    sandbox.restate()  # late conversions arrive, GA4 finishes processing yesterday
    # and the real APIs' rough edges on the way: Meta asks for smaller pages, GA4 thresholds the day
    sandbox.faults.arm("meta", "reduce_data", times=1, phase="results")
    sandbox.faults.arm("ga4", "thresholded", times=None, days=[yesterday.isoformat()])
    sandbox.faults.arm("facebook_pages", "page_permission_denied", times=None, page=organic.denied_page)
    # the organic pages re-read the posts of their nightly week, as the schedule has them do
    week = (yesterday - dt.timedelta(days=6), yesterday)
    result = run_sync(yesterday, yesterday, windows=dict.fromkeys(ORGANIC_PLATFORMS, week), raise_on_error=False)
    assert result.success
    organic.assert_resynced(work_env, result, week)

    after = {platform: dict(query(work_env, sql)) for platform, sql in by_day.items()}
    for platform in by_day:
        assert after[platform][yesterday] > before[platform][yesterday], platform
        others = {day: value for day, value in after[platform].items() if day != yesterday}
        assert others == {day: value for day, value in before[platform].items() if day != yesterday}, platform
    expected = sum(
        count
        for account in sandbox.advertiser.meta_accounts
        for delivery in meta_deliveries(sandbox.advertiser, account.id, yesterday, yesterday, restatements=1)
        for action_type, count in delivery.actions.items()
        if action_type in CONVERSION_TYPES
    )
    assert after["meta"][yesterday] == expected
    assert (
        query(
            work_env,
            "select platform_conversions from marts.roi_by_channel where channel = 'meta' and media_type = 'paid'",
        )
        > roi_before
    )
    assert query(
        work_env,
        "select date_day, bool_or(subject_to_thresholding) from marts.ga4_traffic_by_campaign "
        "where date_day >= ? group by 1 order by 1",
        yesterday - dt.timedelta(days=1),
    ) == [(yesterday - dt.timedelta(days=1), False), (yesterday, True)], "the thresholded day says so"
    warnings = {
        evaluation.check_name
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    }
    assert "ga4_days_subject_to_thresholding" in warnings, "and the run warns about it"


def test_an_account_that_fails_on_each_platform_loses_nothing_and_the_rest_completes(work_env, sandbox, yesterday):
    per_account = (
        "select account_id, count(*), sum(spend), max(_loaded_at) from raw.meta_ads_insights group by 1 order by 1"
    )
    earlier = {row[0]: row[1:] for row in query(work_env, per_account)}
    ga4_earlier = query(work_env, "select count(*), sum(sessions), max(_loaded_at) from raw.ga4_traffic")
    linkedin_before = query(work_env, "select max(_loaded_at) from raw.linkedin_ads_analytics")
    first_account, second_account = (account.id for account in sandbox.advertiser.meta_accounts)
    day = yesterday  # the day every test here syncs: the same dbt vars let dbt reuse its partial parse

    sandbox.faults.arm("meta", "expired_token", times=1)  # the first account's request meets code 190
    sandbox.faults.arm("ga4", "unauthenticated", times=None)  # the service account's key was revoked
    linkedin_account = sandbox.advertiser.linkedin_accounts[0].id
    sandbox.faults.arm("linkedin", "read_access_revoked", account=linkedin_account)  # LinkedIn answers empty
    linkedin_earlier = query(work_env, "select count(*), sum(cost_in_local_currency) from raw.linkedin_ads_analytics")
    result = run_ingestion(day, day, raise_on_error=False)  # what is asked here is the raw tables'; no models

    assert result.success, "the other accounts and platforms complete"
    failed = {e.asset_key.to_user_string(): e.description for e in result.get_asset_check_evaluations() if not e.passed}
    assert set(failed) == {
        "raw/meta_ads_insights",
        "raw/ga4_traffic",
        "raw/ga4_key_events",
        "raw/linkedin_ads_analytics",
        "raw/linkedin_ads_conversions",
    }
    meta = failed["raw/meta_ads_insights"]
    assert f"act_{first_account}" in meta and "code 190" in meta and "META_ACCESS_TOKEN" in meta
    assert (
        "UNAUTHENTICATED" in failed["raw/ga4_traffic"] and "GOOGLE_APPLICATION_CREDENTIALS" in failed["raw/ga4_traffic"]
    )
    now = {row[0]: row[1:] for row in query(work_env, per_account)}
    assert now[first_account] == earlier[first_account], "the failed account keeps its earlier data"
    assert now[second_account][2] > earlier[second_account][2], "the other account was replaced"
    assert query(work_env, "select count(*), sum(sessions), max(_loaded_at) from raw.ga4_traffic") == ga4_earlier
    linkedin = failed["raw/linkedin_ads_analytics"]
    assert linkedin_account in linkedin and "role" in linkedin, "lost read access is named with its fix"
    assert (
        query(work_env, "select count(*), sum(cost_in_local_currency) from raw.linkedin_ads_analytics")
        == linkedin_earlier
    ), "an empty answer did not wipe the account's spend"
    assert query(work_env, "select max(_loaded_at) from raw.linkedin_ads_analytics") == linkedin_before


def encoded_forms(secret: str) -> dict[str, str]:
    """A secret as it may be written on its way: as is; percent-encoded (a link's query) and form-encoded (a
    form body, `+` for a space); JSON-escaped as Python writes it, as Graph and PHP write it (`/` as `\\/`, in
    every Graph paging link), and as Gson's HTML-safe default writes it (`=` as `\\u003d`)."""
    json_escaped = json.dumps(secret)[1:-1]
    html_safe = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "=": "\\u003d", "'": "\\u0027"}
    return {
        "plain": secret,
        "percent-encoded": urllib.parse.quote(secret, safe=""),
        "form-encoded": urllib.parse.quote_plus(secret),
        "JSON-escaped": json_escaped.replace("/", "\\/"),
        "JSON-escaped, slashes as is": json_escaped,
        "JSON-escaped, HTML-safe": "".join(html_safe.get(char, char) for char in json_escaped),
    }


def secret_forms(env: dict[str, str]) -> dict[str, str]:
    """Every secret setting's value in each of its encoded forms, by a description of it."""
    forms: dict[str, str] = {}
    for name, value in env.items():
        if SECRET_SETTING.search(name) and value:
            for encoding, form in encoded_forms(value).items():
                forms.setdefault(form, f"{name} {encoding} as {form!r}")
    return {what: form for form, what in forms.items()}


# The LinkedIn secrets hold `+`, `/` and `=` as LinkedIn's may (connectors/sandbox/linkedin_ads.py); Meta's
# tokens are alphanumeric in practice and the sandbox's are URL- and JSON-safe, so their forms coincide.
ENCODED_DIFFERENTLY = ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_CLIENT_SECRET", "LINKEDIN_REFRESH_TOKEN")


def test_no_secret_reaches_any_file_or_output_of_a_sync(
    settled, sandbox, work_directory, tmp_path, monkeypatch, capsys
):
    # The sandbox answers with the token where Graph puts it: in the paging links of a post's insights edge. The
    # sync reads each Page with the Page's own token, which it asked for with the settings' token: secrets too.
    page = facebook_pages(sandbox.advertiser)[0]
    answer = requests.get(
        f"{sandbox.base_url}/{FacebookAdsApi.API_VERSION}/{page.id}/published_posts",
        params={"fields": "id,insights.metric(post_media_view)", "access_token": page_token(page.id)},
        timeout=30,
    ).json()
    assert f"access_token={page_token(page.id)}" in answer["data"][0]["insights"]["paging"]["next"]
    page_tokens = {f"PAGE_TOKEN_OF_{held.id}": page_token(held.id) for held in facebook_pages(sandbox.advertiser)}
    secrets = secret_forms({**settled.env, **page_tokens})
    assert {"META_ACCESS_TOKEN", "META_PAGE_ACCESS_TOKEN", *ENCODED_DIFFERENTLY} <= {
        name for name in settled.env if SECRET_SETTING.search(name)
    }
    # Secrets written differently as is, percent-encoded and JSON-escaped, so that a scrub that handles one form
    # only is caught; and one of them was in play: the sandbox answers LinkedIn's API to that token alone (401
    # otherwise), sent as `Authorization: Bearer` on every request of the sync, which landed LinkedIn's rows.
    for name in ENCODED_DIFFERENTLY:
        forms = encoded_forms(settled.env[name])
        assert len({forms["plain"], forms["percent-encoded"], forms["JSON-escaped"]}) == 3, name
    assert query(settled.warehouse, "select count(*) > 0 from raw.linkedin_ads_analytics") == [(True,)]
    assert query(settled.warehouse, "select count(*) > 0 from raw.linkedin_organization_daily") == [(True,)]
    # The monthly report of the synced days, as `social-roi report` writes it (from a copy: the settled files stay).
    copy = copy_of_settled(settled, work_directory)
    for name, value in settled.env_for(copy, SOCIAL_ROI_REPORT_DIR=tmp_path / "reports").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(tmp_path / "not-published-yet.duckdb"))
    assert main(["report", "--start", str(settled.window[0]), "--end", str(settled.window[1])]) == 0

    # Every file the sync left (warehouse, published copy, staging directories, the Dagster instance and
    # DAGSTER_HOME, what it printed), the report, and what the report command printed.
    printed = capsys.readouterr()
    files = [
        path
        for root in (settled.warehouse.parent, tmp_path / "reports")
        for path in root.rglob("*")
        if path.is_file() and path.name != "settled.json"  # the test session's own record of the settings
    ]
    assert {"warehouse.duckdb", "published.duckdb", "printed.txt"} <= {path.name for path in files}
    assert any(path.name.startswith("slice-") for path in files), "the staging files were kept"
    assert any(path.suffix == ".html" for path in files)
    found = [
        f"{what} in {path}"
        for path, content in ((path, path.read_bytes()) for path in files)
        for what, secret in secrets.items()
        if secret.encode() in content
    ]
    found += [f"{what} in what was printed" for what, secret in secrets.items() if secret in printed.out + printed.err]
    # DuckDB compresses stored strings: the warehouse and its published copy are searched with SQL, column by column.
    for database in (settled.warehouse, settled.warehouse.parent / "published.duckdb"):
        text_columns = query(
            database,
            "select table_schema, table_name, string_agg(format('searched_table.\"{}\"::varchar', column_name), ', ') "
            "from information_schema.columns where data_type in ('VARCHAR', 'JSON') group by all",
        )
        assert len(text_columns) > 10
        with duckdb.connect(str(database), read_only=True) as connection:  # one table scan for every form
            for schema, table, text in text_columns:
                hits = connection.execute(
                    f'select distinct forms.searched from "{schema}"."{table}" as searched_table, '
                    f"unnest(?::varchar[]) as forms(searched) where contains(concat_ws(' ', {text}), forms.searched)",
                    [list(secrets.values())],
                ).fetchall()
                found += [
                    f"{what} in {database.name} {schema}.{table}"
                    for what, secret in secrets.items()
                    if (secret,) in hits
                ]
    logged = "\n".join(str(record) for record in settled.logs())
    found += [f"{what} in the run logs" for what, secret in secrets.items() if secret in logged]
    assert found == []


def test_a_platform_without_credentials_is_skipped_with_one_log_line(work_env, instance, monkeypatch, yesterday):
    """The ingestion run is where a platform is skipped; the models run after it reads what landed."""
    work_env.unlink()  # a first sync, into a new warehouse
    monkeypatch.delenv("META_ACCESS_TOKEN")
    monkeypatch.delenv("META_AD_ACCOUNT_IDS")
    monkeypatch.delenv("INSTAGRAM_ACCOUNT_IDS")  # a platform of three raw tables

    result = run_ingestion(yesterday, yesterday, instance=instance)

    assert result.success
    messages = [record.user_message for record in instance.all_logs(result.run_id)]
    assert sum("meta: skipped, not configured" in message for message in messages) == 1
    assert sum("instagram: skipped, not configured" in message for message in messages) == 1, "one line, not three"
    assert query(work_env, "select count(*) from raw.meta_ads_insights") == [(0,)]
    assert query(work_env, "select count(*) > 0 from raw.linkedin_ads_analytics") == [(True,)]


def test_a_sync_with_no_platform_configured_says_what_to_set_in_one_line_and_fails(monkeypatch, capsys, tmp_path):
    from pipelines.cli import main

    for name in list(os.environ):
        if name.startswith(("META_", "GA4_", "LINKEDIN_", "GOOGLE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))

    status = main(["sync", "--start", "2026-11-01", "--end", "2026-11-02"])

    printed = capsys.readouterr()
    assert status != 0
    [line] = printed.err.strip().splitlines()
    assert (
        "no platform is configured" in line
        and "META_ACCESS_TOKEN" in line
        and "GA4_PROPERTY_IDS" in line
        and "LINKEDIN_AD_ACCOUNT_IDS" in line
    )
    assert line.count("instagram:") == 1 and line.count("ga4:") == 1, "each platform named once"
    assert printed.out == ""
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.end_to_end  # a whole pipeline run: every platform or every model (see pyproject's markers)
def test_a_run_that_dbt_stops_tells_the_user_which_ledger_row_to_fix(
    work_env, monkeypatch, capsys, tmp_path, yesterday
):
    from conftest import LEDGER_HEADER
    from pipelines.cli import main

    ledger = tmp_path / "cost_ledger.csv"
    ledger.write_text(LEDGER_HEADER + "B1,tools,meta,,2026-11-10,2026-11-01,100,NOK,,,oops\n")
    monkeypatch.setenv("SOCIAL_ROI_COST_LEDGER", str(ledger))
    # a rebuild: the models' run is where dbt stops, and a sync prints its failure the same way
    status = main(["rebuild", "--start", str(yesterday), "--end", str(yesterday)])

    printed = capsys.readouterr()
    assert status == 1
    assert (
        "Cost ledger row B1" in printed.err and "period_end 2026-11-01 is before period_start 2026-11-10" in printed.err
    )
    assert "ROI by channel" not in printed.out, "no report from a failed run"


def test_a_rebuild_of_every_loaded_day_ends_at_yesterday_when_a_story_posted_today_is_stored(settled, work_directory):
    """A story still live when the nightly sync reads it is stored under the day it was posted,
    which after midnight is today; `rebuild` alone must still take days it is allowed to rebuild."""
    from conftest import ORGANIC_WINDOW, YESTERDAY
    from pipelines.cli import loaded_days

    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "update raw.instagram_stories set published_date = ? where media_id = (select min(media_id) from raw.instagram_stories)",
            [clock.today()],
        )
        assert connection.execute("select max(published_date) from raw.instagram_stories").fetchone() == (
            clock.today(),
        )

    assert loaded_days(copy) == (ORGANIC_WINDOW[0], YESTERDAY)


@pytest.mark.end_to_end  # a whole pipeline run: every platform or every model (see pyproject's markers)
def test_rebuild_recomputes_every_loaded_day_from_the_warehouse_without_calling_a_platform(
    work_env, sandbox, monkeypatch, tmp_path, capsys
):
    from conftest import LEDGER_HEADER, ORGANIC_WINDOW, SETTLED_WINDOW
    from pipelines.cli import main
    from pipelines.settings import published_path

    first, last = SETTLED_WINDOW
    ledger = tmp_path / "cost_ledger.csv"  # the user replaces the ledger after the days were synced
    ledger.write_text(
        LEDGER_HEADER + f"A1,agency_fees,linkedin,,{first},{last},{(last - first).days + 1}00,NOK,,,monthly retainer\n"
    )
    monkeypatch.setenv("SOCIAL_ROI_COST_LEDGER", str(ledger))
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(tmp_path / "published.duckdb"))
    other_costs = "select sum(other_costs) from marts.roi_by_channel where channel = 'linkedin'"
    before = query(work_env, other_costs)[0][0]

    status = main(["rebuild"])  # every day loaded

    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert f"Rebuilding {ORGANIC_WINDOW[0]}..{last}" in printed.out, "from the first organic day loaded"
    assert sandbox.request_log == [], "no platform was called"
    assert float(before) > 15_000, "the settled ledger's staff time"
    assert float(query(work_env, other_costs)[0][0]) == pytest.approx(100 * ((last - first).days + 1), abs=0.05), (
        "only the retainer now"
    )
    assert query(published_path(), other_costs) == query(work_env, other_costs), "and the published copy has it"


@pytest.mark.end_to_end  # a whole pipeline run: every model rebuilt (see pyproject's markers)
def test_a_rebuild_after_editing_the_campaign_mapping_file_moves_revenue_between_campaigns_without_calling_a_platform(
    work_env, sandbox, monkeypatch, tmp_path, capsys
):
    from conftest import SETTLED_WINDOW

    by_name = {c.name.split(" 20")[0]: c for c in sandbox.advertiser.meta_campaigns}
    new_collection, winter_sale = by_name["New Collection"], by_name["Winter Sale"]
    revenue = "select campaign_id, ga4_revenue from marts.roi_by_campaign"
    before = dict(query(work_env, revenue))
    assert before[new_collection.id] > 0
    # a copy of the repository's mapping, edited: New Collection's tag now belongs to Winter Sale
    shipped = (PROJECT_ROOT / "config" / "campaign_mapping.csv").read_text()
    mapping = tmp_path / "campaign_mapping.csv"
    edited = shipped.replace(
        f"{new_collection.utm_campaign},{new_collection.id},", f"{new_collection.utm_campaign},{winter_sale.id},"
    )
    assert edited != shipped, "the shipped mapping sends New Collection's free-text tag to it"
    mapping.write_text(edited)
    monkeypatch.setenv("SOCIAL_ROI_CAMPAIGN_MAPPING", str(mapping))
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(tmp_path / "published.duckdb"))

    status = main(["rebuild", "--start", str(SETTLED_WINDOW[0]), "--end", str(SETTLED_WINDOW[1])])

    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert sandbox.request_log == [], "no platform was called"
    after = dict(query(work_env, revenue))
    assert after[new_collection.id] == 0
    assert after[winter_sale.id] == before[winter_sale.id] + before[new_collection.id]
