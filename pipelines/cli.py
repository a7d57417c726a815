"""`social-roi`: the demo, a sync over chosen days, and the sandbox on its own."""

import argparse
import contextlib
import datetime as dt
import os
import sys

from connectors.sandbox import Sandbox
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
    }


def print_roi_report(database: str) -> None:
    import duckdb

    with duckdb.connect(database, read_only=True) as connection:
        print("\nROI by channel: platform-claimed beside GA4-observed (ROI = (claimed value - total cost) / total cost)")
        connection.sql(
            "select channel, currency, campaigns, round(spend, 2) as spend, platform_conversions as claimed_conv, "
            "round(platform_conversion_value, 2) as claimed_value, ga4_sessions, ga4_key_events, "
            "round(ga4_revenue, 2) as ga4_revenue, ga4_currency, round(roas, 2) as roas, round(ga4_roas, 2) as ga4_roas, "
            "round(roi, 3) as roi from marts.roi_by_channel"
        ).show(max_width=250)
        print("ROI by campaign")
        connection.sql(
            "select channel, campaign_name, currency, round(spend, 2) as spend, platform_conversions as claimed_conv, "
            "round(platform_conversion_value, 2) as claimed_value, ga4_sessions, ga4_key_events, "
            "round(ga4_revenue, 2) as ga4_revenue, round(roas, 2) as roas, round(ga4_roas, 2) as ga4_roas, "
            "round(roi, 3) as roi from marts.roi_by_campaign order by roi desc nulls last"
        ).show(max_rows=100, max_width=250)
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
    print_roi_report(database)
    print(f"Warehouse: {database}")
    print(f"Query it:  duckdb {database} -c \"select * from marts.roi_by_campaign\"")
    print(f"Run {result.run_id} is recorded in DAGSTER_HOME={os.environ['DAGSTER_HOME']}; `make dev` shows it.")
    return 0


def demo(days: int) -> int:
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    with Sandbox(restate_each_sync=True) as sandbox:
        os.environ.update(sandbox_environment(sandbox))
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
        return serve_sandbox(args.port, args.seed)
    except ValueError as error:
        print(f"social-roi: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
