"""`social-roi`: the demo, a sync over chosen days, and the sandbox on its own."""

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from connectors import clock
from connectors.errors import PlatformError
from pipelines.lake import Lake
from pipelines.settings import DBT_PROJECT_DIR


class NothingConfiguredError(ValueError):
    """A sync was asked for while no platform has settings: it would only print empty tables."""


def require_a_configured_platform(env: Mapping[str, str] = os.environ) -> None:
    """Raise unless at least one platform (not just reference data) is configured. A half-configured
    platform raises its own PlatformError naming what is missing."""
    from connectors.registry import PLATFORMS  # loads every platform's SDK: only for a sync

    platforms = [platform for platform in PLATFORMS if not platform.reference_data]
    if not any(platform.settings_from_env(env) is not None for platform in platforms):
        hints = "; ".join(f"{platform.name}: {platform.credentials_hint}" for platform in platforms)
        raise NothingConfiguredError(
            f"no platform is configured, so there is nothing to sync. Set at least one ({hints}), or try `social-roi demo`."
        )


REPORT_QUERIES = DBT_PROJECT_DIR / "analyses" / "cli_roi_report.sql"
REPORT_HEADING = "-- report:"


def report_queries() -> list[tuple[str, str]]:
    """(heading, query) pairs from the report file, in order."""
    sections = REPORT_QUERIES.read_text(encoding="utf-8").split(REPORT_HEADING)[1:]
    return [
        (heading.strip(), query.strip().rstrip(";"))
        for heading, _, query in (section.partition("\n") for section in sections)
    ]


def print_roi_report(warehouse: Path | Lake) -> None:
    from pipelines.lake import open_warehouse

    with open_warehouse(warehouse, read_only=True) as connection:
        [(currency, source)] = connection.execute(
            "select any_value(reporting_currency), any_value(revenue_source) from marts.roi_by_channel"
        ).fetchall()
        print(
            f"\nROI by channel, in {currency}. Revenue behind ROI: {source} (ROI = (revenue - total cost) / total cost)."
        )
        for heading, query in report_queries():
            print(heading)
            connection.sql(query).show(max_rows=100, max_width=250)


def loaded_days(warehouse: Path | Lake) -> tuple[dt.date, dt.date]:
    """The first and last day any raw table holds, up to the last full day: what `rebuild`
    recomputes by default. A table may hold today: an Instagram story still live at night is stored
    under the day it was posted, and a rebuild ending today would be refused (today is still being
    delivered); that story's day is rebuilt by the next night's run."""
    from connectors.registry import raw_tables
    from pipelines.lake import open_warehouse
    from pipelines.run_window import first_and_last_day
    from pipelines.warehouse import RAW_SCHEMA

    if not warehouse.exists():
        raise FileNotFoundError(
            f"There is no warehouse at {warehouse} yet: run a sync first (social-roi sync --start … --end …)."
        )
    with open_warehouse(warehouse, read_only=True) as connection:
        existing = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?", [RAW_SCHEMA]
            ).fetchall()
        }
        spans = [
            connection.execute(
                f'select min("{table.date_column}"), max("{table.date_column}") from {RAW_SCHEMA}.{table.name}'
            ).fetchall()[0]
            for platform, table in raw_tables()
            if table.name in existing and not platform.reference_data
        ]
    days = [day for span in spans for day in span if day is not None]
    if not days:
        raise FileNotFoundError(
            f"{warehouse} holds no platform data yet: run a sync first (social-roi sync --start … --end …)."
        )
    return min(days), min(max(days), first_and_last_day()[1])


def _run_and_report(start: dt.date | None, end: dt.date | None, rebuild: bool = False) -> int:
    """Sync (or rebuild) start..end and print ROI. A rebuild without days takes every day loaded.

    The warehouse is held before anything else (pipelines/warehouse_writer.py): while another run
    writes it, this exits at once with EXIT_WAREHOUSE_BUSY, having fetched, logged and written nothing."""
    from pipelines.runs import dagster_instance, new_run_id, writing_the_warehouse
    from pipelines.warehouse_writer import EXIT_WAREHOUSE_BUSY, WarehouseBusyError, WarehouseOpenElsewhereError

    instance, run_id = dagster_instance(), new_run_id()
    try:
        with writing_the_warehouse(instance, run_id):
            return _run_and_report_holding_the_warehouse(instance, run_id, start, end, rebuild)
    except (WarehouseBusyError, WarehouseOpenElsewhereError) as busy:
        print(f"social-roi: {busy}", file=sys.stderr)
        return EXIT_WAREHOUSE_BUSY


def _run_and_report_holding_the_warehouse(
    instance, run_id: str, start: dt.date | None, end: dt.date | None, rebuild: bool
) -> int:
    import dagster as dg

    from pipelines.runs import run_rebuild, run_sync
    from pipelines.settings import Settings, dagster_home

    settings = Settings.from_env()
    if start is None or end is None:
        first, last = loaded_days(settings.warehouse)
        start, end = start or first, end or last
    # dbt's own output goes to a file; the console shows progress (pipelines/progress.py), failures and the report.
    dbt_log = dagster_home() / "last_cli_run.log"
    runs = "one Dagster run" if rebuild else "two Dagster runs (the platforms, then the models)"
    print(f"{'Rebuilding' if rebuild else 'Syncing'} {start}..{end} in {runs}:", flush=True)
    with dbt_log.open("w") as sink, contextlib.redirect_stdout(sink):
        result = (run_rebuild if rebuild else run_sync)(
            start, end, instance=instance, raise_on_error=False, progress=True, run_id=run_id
        )
    if not result.success:
        failures = [
            error.message.strip()
            for event in result.all_events
            if event.is_step_failure and (error := event.step_failure_data.error)
        ]
        failed_run = next(run.run_id for run in result.runs if not run.success)
        print(f"The run {failed_run} failed:", *failures, f"(dbt output: {dbt_log})", sep="\n  ", file=sys.stderr)
        return 1
    print_roi_report(settings.warehouse)
    if isinstance(settings.warehouse, Lake):
        print(f"Warehouse: {settings.warehouse}, read directly by every reader (each reads whole snapshots).")
        print('Query it:  social-roi sql "select * from marts.roi_by_campaign"')
    else:
        print(f"Warehouse: {settings.warehouse} (written by syncs); published read-only copy: {settings.published}")
        print('Query it:  social-roi sql "select * from marts.roi_by_campaign"')
        print(f'       or duckdb -readonly {settings.published} -c "select * from marts.roi_by_channel"')
    failed_checks = [evaluation for evaluation in result.get_asset_check_evaluations() if not evaluation.passed]
    for evaluation in failed_checks:
        # A warning (spend anomalies, untracked spend) is printed; only an error fails the command.
        verdict = "WARNING" if evaluation.severity == dg.AssetCheckSeverity.WARN else "FAILED"
        print(
            f"{verdict} check {evaluation.asset_key.to_user_string()} {evaluation.check_name}: {evaluation.description or ''}",
            file=sys.stderr,
        )
    if any(evaluation.severity == dg.AssetCheckSeverity.ERROR for evaluation in failed_checks):
        return 1
    print(
        f"Run{'s' if len(result.run_ids) > 1 else ''} {', '.join(result.run_ids)} recorded in "
        f"DAGSTER_HOME={os.environ['DAGSTER_HOME']}; `make dev` shows {'them' if len(result.run_ids) > 1 else 'it'}."
    )
    return 0


def demo(days: int) -> int:
    from connectors.sandbox import Sandbox
    from connectors.sandbox.demo_plans import write_demo_plans
    from pipelines.settings import local_directory

    end = clock.yesterday()
    start = end - dt.timedelta(days=days - 1)
    with Sandbox(restate_each_sync=True) as sandbox:
        os.environ.update(sandbox.environment())
        os.environ.update(write_demo_plans(local_directory() / "demo", start, end))
        print(f"Sandbox serving the platform APIs at {sandbox.base_url}.")
        status = _run_and_report(start, end)
    if status == 0:
        # the report a manager would get for these days, from the warehouse just built
        status = write_report_by_hand(None, start, end, None, pdf=False, email=False)
    return status


def write_report_by_hand(
    period: str | None, start: dt.date | None, end: dt.date | None, out: Path | None, pdf: bool, email: bool
) -> int:
    from pipelines.report_run import ReportNotWritten, deliver, write_period_report

    try:
        written = write_period_report(period, start, end, out, pdf=pdf or email)
    except ReportNotWritten as problem:
        raise FileNotFoundError(str(problem)) from None
    print(f"Report: {written.html}")
    if pdf or email:
        print(f"PDF: {written.pdf}" if written.pdf else f"No PDF: {written.pdf_problem}")
    if email:
        delivery = deliver(written, required=True)
        if delivery.problem:
            print(f"social-roi: the report was written but not mailed: {delivery.problem}", file=sys.stderr)
            return 1
        print(f"Mailed: {delivery.outcome}")
    return 0


def serve_sandbox(port: int, seed: int) -> int:
    from connectors.sandbox import Sandbox

    sandbox = Sandbox(seed=seed, port=port, restate_each_sync=True)
    print(f"Sandbox listening on {sandbox.base_url}. Point the pipeline at it with:")
    for name, value in sandbox.environment().items():
        print(f"  export {name}={value}")
    print(sandbox.control_help)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="social-roi", description="Prove what social-media spend returns.")
    parser.add_argument(
        "--client",
        metavar="ID",
        help="run for this client of the clients file (SOCIAL_ROI_CLIENTS): its accounts, files and warehouse only",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    clients_cmd = commands.add_parser(
        "clients", help="list the clients of the clients file (SOCIAL_ROI_CLIENTS) and where their data goes"
    )
    clients_cmd.add_argument(
        "--workspace",
        type=Path,
        metavar="FILE",
        help="write a Dagster workspace with a code location (and nightly schedule) per client, for dagster dev -w FILE",
    )
    demo_cmd = commands.add_parser("demo", help="run the whole pipeline against the local sandbox and print ROI")
    demo_cmd.add_argument("--days", type=int, default=30, help="how many days back from yesterday (default 30)")
    demo_cmd.add_argument(
        "--agency",
        action="store_true",
        help="an agency's three clients instead of one advertiser: a clients file, a warehouse, report and published "
        "copy per client, and the agency overview",
    )
    sync_cmd = commands.add_parser("sync", help="sync the configured real accounts for a range of days, in one run")
    sync_cmd.add_argument("--start", type=dt.date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    sync_cmd.add_argument("--end", type=dt.date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    sync_cmd.add_argument(
        "--all-clients",
        action="store_true",
        help="sync every client of the clients file, each in its own process, SOCIAL_ROI_PARALLEL_CLIENTS at a time",
    )
    rebuild_cmd = commands.add_parser(
        "rebuild",
        help="recompute the marts and ROI from the data already loaded (after editing a mapping, the ledger or the targets), "
        "without calling any platform",
    )
    rebuild_cmd.add_argument(
        "--start", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="default: the first day loaded"
    )
    rebuild_cmd.add_argument(
        "--end", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="default: the last day loaded"
    )
    report_cmd = commands.add_parser(
        "report", help="write the report for management (HTML, optionally PDF) from the warehouse, without syncing"
    )
    report_cmd.add_argument("--period", metavar="YYYY-MM", help="a calendar month (default: the last complete one)")
    report_cmd.add_argument("--start", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    report_cmd.add_argument("--end", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    report_cmd.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="the HTML file (default: in SOCIAL_ROI_REPORT_DIR); the PDF goes beside it, with .pdf",
    )
    report_cmd.add_argument("--pdf", action="store_true", help="also print it to PDF with headless Chromium")
    report_cmd.add_argument(
        "--email", action="store_true", help="mail it as SOCIAL_ROI_REPORT_EMAIL_TO and SMTP settings say"
    )
    overview_cmd = commands.add_parser(
        "overview",
        help="the agency overview: every client of the clients file side by side (spend, return, ROI, KPI status)",
    )
    overview_cmd.add_argument("--period", metavar="YYYY-MM", help="a calendar month (default: the last complete one)")
    overview_cmd.add_argument("--start", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    overview_cmd.add_argument("--end", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    overview_cmd.add_argument(
        "--out", type=Path, metavar="PATH", help="the HTML file (default: beside the clients file)"
    )
    overview_cmd.add_argument(
        "--locale", choices=("nb", "en"), default="nb", help="the overview's language (default nb)"
    )
    sql_cmd = commands.add_parser("sql", help="run a query against the published read-only copy of the warehouse")
    sql_cmd.add_argument("query")
    commands.add_parser(
        "check", help="validate the configuration and each platform's credentials (one read-only call each)"
    )
    connect_cmd = commands.add_parser(
        "connect",
        help="list every account, Page, Instagram account, organization and property your credentials can see, check "
        "each, and write the ones you choose to the settings file (with --client: the client's table)",
    )
    connect_cmd.add_argument("login", nargs="?", choices=("meta", "linkedin", "ga4"), help="one login (default: all)")
    connect_cmd.add_argument(
        "--all",
        dest="every_usable",
        action="store_true",
        help="choose every account a sync can read, and keep those already configured, without asking",
    )
    connect_cmd.add_argument(
        "--accounts",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        metavar="ID,ID",
        help="choose exactly these ids (act_…, Page ids, urn:li:…, properties/…), without asking",
    )
    connect_cmd.add_argument(
        "--client-id",
        metavar="ID",
        help="LinkedIn: sign in through LinkedIn's OAuth flow with this app (its secret: LINKEDIN_CLIENT_SECRET, or "
        "typed when asked) and keep its tokens in the secrets file",
    )
    connect_cmd.add_argument(
        "--redirect-port",
        type=int,
        default=None,
        metavar="PORT",
        help="LinkedIn: the loopback port of the redirect URL registered in the app (default 8719)",
    )
    connect_cmd.add_argument(
        "--exchange-token",
        action="store_true",
        help="Meta: exchange the short-lived user token in META_ACCESS_TOKEN for a long-lived one (META_APP_ID, "
        "META_APP_SECRET) and keep it in the secrets file",
    )
    sandbox_cmd = commands.add_parser("sandbox", help="serve the sandbox APIs on a loopback port")
    sandbox_cmd.add_argument("--port", type=int, default=8765)
    sandbox_cmd.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        set_by_environment = frozenset(os.environ)
        if args.command not in ("demo", "sandbox"):  # the demo and the sandbox are the sandbox's, never the user's
            from pipelines.setting_files import apply_setting_files

            apply_setting_files()
        if args.command == "connect":
            with for_client(args.client, args.command):
                return _connect(args, frozenset() if args.client else set_by_environment)
        if args.command == "clients":
            return _clients(args.workspace)
        if args.command == "sync" and args.all_clients:
            if args.client is not None:
                parser.error("--all-clients syncs every client: leave out --client")
            from pipelines.agency import sync_all_clients

            return sync_all_clients(args.start, args.end)
        with for_client(args.client, args.command):
            return _run_command(parser, args)
    except (ValueError, FileNotFoundError, PlatformError) as error:  # bad settings, bad SQL, nothing published yet
        # our messages never quote a secret; this is for a library's that might (connect handles fresh tokens)
        from connectors.redaction import scrub, secret_settings

        print(f"social-roi: {scrub(str(error), secret_settings(os.environ))}", file=sys.stderr)
        return 2


def _connect(args: argparse.Namespace, set_by_environment: frozenset[str]) -> int:
    """`social-roi connect`: sign in where asked (LinkedIn's OAuth flow, Meta's token exchange), keeping
    secrets in the secrets file, then list, check, choose and write (pipelines/connect.py)."""
    from pipelines import setting_files
    from pipelines.connect import run_connect

    env = dict(os.environ)
    secrets = setting_files.secrets_file(env)
    names = [args.login] if args.login else []

    def write(values: dict[str, str | None]) -> Path:
        if args.client is not None:
            from pipelines.clients import clients_file, store_client_settings

            path = clients_file(env)
            assert path is not None  # --client needs one: checked before any command runs
            store_client_settings(path, args.client, values)
            return path
        path = setting_files.settings_file(env)
        setting_files.store_settings(path, values)
        return path

    if args.client_id is not None:
        if args.login not in (None, "linkedin"):
            raise ValueError("--client-id is LinkedIn's: social-roi connect linkedin --client-id …")
        env.update(_linkedin_sign_in(args, env, secrets, write))
        names = names or ["linkedin"]
    if args.exchange_token:
        if args.login not in (None, "meta"):
            raise ValueError("--exchange-token is Meta's: social-roi connect meta --exchange-token")
        env.update(_meta_long_lived_token(args, env, secrets, write))
        names = names or ["meta"]

    ask = input if sys.stdin.isatty() and not args.every_usable and args.accounts is None else None
    return run_connect(
        names,
        env,
        every_usable=args.every_usable,
        accounts=args.accounts,
        ask=ask,
        write=write,
        set_by_environment=set_by_environment,
    )


def _ask_secret(env: Mapping[str, str], setting: str, prompt: str, client: str | None) -> tuple[str, bool]:
    """A secret from the environment (a client's: from its table), else typed (never echoed); and whether it was
    typed, to be kept."""
    import getpass

    value = (env.get(setting) or "").strip()
    if value:
        return value, False
    if not sys.stdin.isatty():
        raise ValueError(f"{_not_set(setting, client)}, or run connect in a terminal to type it.")
    return getpass.getpass(prompt).strip(), True


def _not_set(setting: str, client: str | None) -> str:
    """Where to set a setting connect needs: a client's run reads its platforms' settings from its table alone, so
    one exported in the shell is not seen there."""
    from connectors.redaction import SECRET_SETTING

    if client is None:
        return f"{setting} is not set: set it"
    value = (
        '"env:<VARIABLE>" (the variable set or kept in the secrets file)' if SECRET_SETTING.search(setting) else '"…"'
    )
    return (
        f"{setting} is not set for client {client!r}: a client's settings come from its table of the clients file, "
        f"not the environment; write {setting} = {value} in [clients.{client}.settings]"
    )


def _keep_secrets(
    args: argparse.Namespace, secrets: Path, values: Mapping[str, str], write: Callable[[dict[str, str | None]], Path]
) -> None:
    """Store secrets in the secrets file; a client's table then names them (env:NAME), never holding them."""
    from pipelines import setting_files

    setting_files.store_secrets(
        secrets, {setting_files.secret_variable(args.client, name): value for name, value in values.items()}
    )
    if args.client is not None:
        write({name: f"env:{setting_files.secret_variable(args.client, name)}" for name in values})
    print(f"Kept {', '.join(values)} in the secrets file {secrets} (0600).")


def _linkedin_sign_in(
    args: argparse.Namespace, env: Mapping[str, str], secrets: Path, write: Callable[[dict[str, str | None]], Path]
) -> dict[str, str]:
    """LinkedIn's OAuth flow in the browser, its tokens kept: the access token for the next 60 days, the
    refresh token (a year) from which every sync renews an expired one. Returns the settings discovery uses."""
    import webbrowser

    from connectors.linkedin_ads import discovery

    secret, typed = _ask_secret(
        env, "LINKEDIN_CLIENT_SECRET", "The LinkedIn app's client secret (its Auth tab): ", args.client
    )

    def open_in_browser(url: str) -> None:
        print(f"Sign in to LinkedIn and allow access (if no browser opens, open this address):\n  {url}", flush=True)
        webbrowser.open(url)

    grant = discovery.authorize(
        client_id=args.client_id,
        client_secret=secret,
        oauth_url=(env.get("LINKEDIN_OAUTH_URL") or "").strip() or discovery.DEFAULT_OAUTH_URL,
        redirect_port=args.redirect_port or discovery.DEFAULT_REDIRECT_PORT,
        open_url=open_in_browser,
    )
    if not grant.refresh_token:
        raise ValueError(
            "LinkedIn issued no refresh token: the app needs programmatic refresh tokens (granted with the Advertising "
            "API product), or a sync would stop when the access token expires in 60 days."
        )
    _keep_secrets(
        args,
        secrets,
        {
            "LINKEDIN_ACCESS_TOKEN": grant.access_token,
            "LINKEDIN_REFRESH_TOKEN": grant.refresh_token,
            # kept unless a client's table already names where it comes from: a nightly run (the daemon, cron)
            # does not see the shell it was exported in
            **({"LINKEDIN_CLIENT_SECRET": secret} if typed or args.client is None else {}),
        },
        write,
    )
    write({"LINKEDIN_CLIENT_ID": args.client_id})  # no secret: the app's public id
    return {
        "LINKEDIN_ACCESS_TOKEN": grant.access_token,
        "LINKEDIN_CLIENT_ID": args.client_id,
        "LINKEDIN_CLIENT_SECRET": secret,
        "LINKEDIN_REFRESH_TOKEN": grant.refresh_token,
    }


def _meta_long_lived_token(
    args: argparse.Namespace, env: Mapping[str, str], secrets: Path, write: Callable[[dict[str, str | None]], Path]
) -> dict[str, str]:
    """The short-lived user token exchanged for a long-lived one, kept in the secrets file."""
    from connectors.meta_ads import discovery

    if not (env.get("META_APP_ID") or "").strip():
        raise ValueError(
            f"{_not_set('META_APP_ID', args.client)}: the App ID of the Meta app the token was made for (App Dashboard "
            "→ App settings → Basic)."
        )
    short, _ = _ask_secret(
        env, "META_ACCESS_TOKEN", "A short-lived Meta user token (Graph API Explorer): ", args.client
    )
    app_secret, typed = _ask_secret(
        env, "META_APP_SECRET", "The Meta app's secret (App settings → Basic): ", args.client
    )
    token, expires_in = discovery.exchange_for_long_lived({**env, "META_APP_SECRET": app_secret}, short)
    _keep_secrets(
        args, secrets, {"META_ACCESS_TOKEN": token, **({"META_APP_SECRET": app_secret} if typed else {})}, write
    )
    print(
        f"The long-lived token expires in {expires_in // 86400} days (a system user's does not: README). Unset "
        "META_ACCESS_TOKEN in your shell if it is set there: the environment wins over the secrets file."
    )
    return {"META_ACCESS_TOKEN": token}


def _clients(workspace: Path | None) -> int:
    from pipelines.clients import CLIENTS, clients_file, describe_clients

    print(describe_clients(os.environ))
    path = clients_file(os.environ)
    if workspace is not None:
        if path is None:
            raise ValueError(f"--workspace needs a clients file: set {CLIENTS}.")
        from pipelines.client_locations import workspace_yaml

        workspace.write_text(workspace_yaml(path), encoding="utf-8")
        print(f"Workspace: {workspace} (one code location per client): {CLIENTS}={path} dagster dev -w {workspace}")
    return 0


@contextlib.contextmanager
def for_client(client_id: str | None, command: str) -> Iterator[None]:
    """The command runs in the client's environment (pipelines/clients.py), restored afterwards."""
    from pipelines.clients import environment_for

    environment = environment_for(client_id, command, os.environ)
    if environment is None:
        yield
        return
    # only what the client changes is put back afterwards: what the run itself sets (dbt's directory
    # on PATH) stays for the next command in this process
    changed = {
        name: os.environ.get(name)
        for name in {*os.environ, *environment}
        if os.environ.get(name) != environment.get(name)
    }
    for name in changed:
        if name in environment:
            os.environ[name] = environment[name]
        else:
            del os.environ[name]
    try:
        yield
    finally:
        for name, value in changed.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "demo":
        if args.days < 1:
            parser.error("--days must be at least 1")
        if args.agency:
            from pipelines.agency_demo import run_agency_demo

            return run_agency_demo(args.days)
        return demo(args.days)
    if args.command == "sync":
        require_a_configured_platform()
        return _run_and_report(args.start, args.end)
    if args.command == "rebuild":
        return _run_and_report(args.start, args.end, rebuild=True)
    if args.command == "report":
        return write_report_by_hand(args.period, args.start, args.end, args.out, args.pdf, args.email)
    if args.command == "overview":
        from pipelines.overview import overview_text, write_overview
        from pipelines.report_run import resolve_period

        start, end = resolve_period(args.period, args.start, args.end)
        written, lines = write_overview(os.environ, start, end, args.locale, args.out)
        print(f"Agency overview: {written}\n{overview_text(lines)}")
        return 0
    if args.command == "sql":
        from pipelines.adhoc_sql import run_sql

        print(run_sql(args.query))
        return 0
    if args.command == "check":
        from pipelines.check import run_check

        text, status = run_check()
        print(text)
        return status
    return serve_sandbox(args.port, args.seed)


if __name__ == "__main__":
    sys.exit(main())
