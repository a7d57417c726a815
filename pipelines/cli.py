"""`social-roi`: the demo, a sync over chosen days, and the sandbox on its own."""

import argparse
import contextlib
import datetime as dt
import os
import sys
from pathlib import Path

from connectors.sandbox import Sandbox
from connectors.sandbox.linkedin_rest import linkedin_environment
from connectors.sandbox.server import SANDBOX_META_TOKEN

SANDBOX_POLL_SECONDS = "0.2"


def sandbox_environment(sandbox: Sandbox) -> dict[str, str]:
    """The settings that point every connector at the sandbox instead of the real platforms."""
    return {
        "META_ACCESS_TOKEN": SANDBOX_META_TOKEN,
        "META_AD_ACCOUNT_IDS": ",".join(f"act_{a.id}" for a in sandbox.advertiser.meta_accounts),
        "META_GRAPH_URL": sandbox.base_url,
        "META_POLL_INTERVAL_SECONDS": SANDBOX_POLL_SECONDS,
        "GA4_PROPERTY_IDS": sandbox.advertiser.ga4_property.id,
        "GA4_API_URL": sandbox.base_url,
        **linkedin_environment(sandbox),
        # The demo's LinkedIn account spends EUR; official rates come from the Norges Bank stand-in.
        "SOCIAL_ROI_FX_CURRENCIES": "EUR,USD",
        "NORGES_BANK_API_URL": f"{sandbox.base_url}/api",
    }


def print_roi_report(database: str) -> None:
    import duckdb

    with duckdb.connect(database, read_only=True) as connection:
        [(currency, source)] = connection.execute("select any_value(reporting_currency), any_value(revenue_source) from marts.roi_by_channel").fetchall()
        print(f"\nROI by channel, in {currency}. Revenue behind ROI: {source} (ROI = (revenue - total cost) / total cost).")
        print("Platform-claimed and GA4-observed side by side; over_claim = claimed conversions / GA4 key events.")
        connection.sql(
            "select channel, campaigns, round(spend) as spend, round(other_costs) as other_costs, round(total_cost) as total_cost, "
            "platform_conversions as claimed_conv, round(platform_conversion_value) as claimed_value, ga4_key_events, "
            "round(ga4_revenue) as ga4_revenue, round(over_claim_ratio, 2) as over_claim, round(roas, 2) as roas, round(roi, 2) as roi "
            "from marts.roi_by_channel order by spend desc, channel"
        ).show(max_width=250)
        print("ROI by campaign")
        connection.sql(
            "select channel, campaign_name, round(spend) as spend, round(total_cost) as total_cost, platform_conversions as claimed_conv, "
            "round(platform_conversion_value) as claimed_value, ga4_key_events, round(ga4_revenue) as ga4_revenue, "
            "round(roas_platform_claimed, 2) as roas_claimed, round(roas_ga4_observed, 2) as roas_ga4, round(roi, 2) as roi "
            "from marts.roi_by_campaign order by roi desc nulls last"
        ).show(max_rows=100, max_width=250)
        print("KPI targets")
        connection.sql(
            "select target_id, metric, channel, period_start, period_end, direction, target_value, "
            "round(actual_value, 2) as actual, status from marts.kpi_progress"
        ).show(max_width=250)
        print("Matched nothing (spend without tracked traffic / revenue without a known campaign)")
        connection.sql(
            "select problem, channel, campaign_or_utm, currency, round(spend, 2) as spend, sessions, "
            "round(revenue, 2) as revenue from marts.unmatched_campaigns order by problem, channel"
        ).show(max_rows=50, max_width=250)


def _run_and_report(start: dt.date, end: dt.date) -> int:
    from pipelines.runs import run_sync
    from pipelines.settings import warehouse_path

    from pipelines.settings import dagster_home

    # dbt's own progress lines go to a file: the console keeps warnings, failures and the report.
    dbt_log = dagster_home() / "last_cli_run.log"
    with dbt_log.open("w") as sink, contextlib.redirect_stdout(sink):
        result = run_sync(start, end, raise_on_error=False, log_level="WARNING")
    database = str(warehouse_path())
    if not result.success:
        failures = [event.event_specific_data.error.message.strip() for event in result.all_events if event.is_step_failure]
        print(f"The sync run {result.run_id} failed:", *failures, f"(dbt output: {dbt_log})", sep="\n  ", file=sys.stderr)
        return 1
    from pipelines.publish import published_path

    print_roi_report(database)
    print(f"Warehouse: {database} (written by syncs); published read-only copy: {published_path()}")
    print("Query it:  social-roi sql \"select * from marts.roi_by_campaign\"")
    print(f"       or duckdb -readonly {published_path()} -c \"select * from marts.roi_by_channel\"")
    failed_checks = [evaluation for evaluation in result.get_asset_check_evaluations() if not evaluation.passed]
    for evaluation in failed_checks:
        print(f"FAILED check {evaluation.asset_key.to_user_string()} {evaluation.check_name}: {evaluation.description or ''}", file=sys.stderr)
    if failed_checks:
        return 1
    print(f"Run {result.run_id} is recorded in DAGSTER_HOME={os.environ['DAGSTER_HOME']}; `make dev` shows it.")
    return 0


def write_demo_plans(directory: Path, start: dt.date, end: dt.date) -> dict[str, str]:
    """An example cost ledger and KPI targets for the demo window, so the demo shows full costs and
    targets the way a team would record them (config/*.csv hold the real ones)."""
    directory.mkdir(parents=True, exist_ok=True)
    ledger = directory / "demo_cost_ledger.csv"
    ledger.write_text(
        "entry_id,category,channel,campaign_id,period_start,period_end,amount,currency,hours,hourly_rate,note\n"
        f"staff-meta,staff_time,meta,,{start},{end},,NOK,{2 * ((end - start).days + 1)},650,community manager 2 h/day\n"
        f"staff-li,staff_time,linkedin,,{start},{end},,NOK,{(end - start).days + 1},650,B2B content 1 h/day\n"
        f"tools,tools,meta,,{start},{end},99,EUR,,,scheduling and reporting tool\n"
        f"agency,agency_fees,linkedin,,{start},{end},1500,EUR,,,campaign set-up by the agency\n"
    )
    targets = directory / "demo_kpi_targets.csv"
    targets.write_text(
        "target_id,metric,channel,campaign_id,period_start,period_end,target_value,direction,note\n"
        f"roas-meta,roas,meta,,{start},{end},1.0,at_least,Meta pays for its media\n"
        f"cpa-linkedin,cpa_ga4_key_event,linkedin,,{start},{end},400,at_most,a lead for at most 400\n"
        f"revenue-all,ga4_revenue,,,{start},{end},100000,at_least,revenue from all channels\n"
    )
    return {"SOCIAL_ROI_COST_LEDGER": str(ledger), "SOCIAL_ROI_KPI_TARGETS": str(targets)}


def demo(days: int) -> int:
    from pipelines.settings import warehouse_path

    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    with Sandbox(restate_each_sync=True) as sandbox:
        os.environ.update(sandbox_environment(sandbox))
        os.environ.update(write_demo_plans(warehouse_path().parent / "demo", start, end))
        print(f"Sandbox serving the platform APIs at {sandbox.base_url}; syncing {start}..{end} in one Dagster run…")
        return _run_and_report(start, end)


def serve_sandbox(port: int, seed: int) -> int:
    sandbox = Sandbox(seed=seed, port=port, restate_each_sync=True)
    print(f"Sandbox listening on {sandbox.base_url}. Point the pipeline at it with:")
    for name, value in sandbox_environment(sandbox).items():
        print(f"  export {name}={value}")
    print("Faults: POST /_sandbox/faults {\"platform\": \"meta\", \"kind\": \"throttle\"}; restatement: POST /_sandbox/restate")
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="social-roi", description="Prove what social-media spend returns.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser("demo", help="run the whole pipeline against the local sandbox and print ROI")
    demo_cmd.add_argument("--days", type=int, default=30, help="how many days back from yesterday (default 30)")
    sync_cmd = commands.add_parser("sync", help="sync the configured real accounts for a range of days, in one run")
    sync_cmd.add_argument("--start", type=dt.date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    sync_cmd.add_argument("--end", type=dt.date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    sql_cmd = commands.add_parser("sql", help="run a query against the published read-only copy of the warehouse")
    sql_cmd.add_argument("query")
    commands.add_parser("check", help="validate the configuration and each platform's credentials (one read-only call each)")
    sandbox_cmd = commands.add_parser("sandbox", help="serve the sandbox APIs on a loopback port")
    sandbox_cmd.add_argument("--port", type=int, default=8765)
    sandbox_cmd.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            if args.days < 1:
                parser.error("--days must be at least 1")
            return demo(args.days)
        if args.command == "sync":
            return _run_and_report(args.start, args.end)
        if args.command == "sql":
            from pipelines.publish import run_sql

            print(run_sql(args.query))
            return 0
        if args.command == "check":
            from pipelines.check import run_check

            text, status = run_check()
            print(text)
            return status
        return serve_sandbox(args.port, args.seed)
    except (ValueError, FileNotFoundError) as error:  # bad settings, bad SQL, nothing published yet
        print(f"social-roi: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
