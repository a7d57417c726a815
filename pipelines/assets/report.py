"""The report for management, as an asset downstream of the ROI tables.

Partitioned by month (the raw tables by year), with one run per range: materializing a range of months
writes the report for those months' days (up to yesterday), and a run with a `social_roi/days` tag
for exactly those days. The monthly schedule materializes last month and asks for the report to be
mailed; a re-materialization from the UI or `dagster asset materialize` writes the
file and mails nothing. It is not part of the sync job: a nightly sync never writes a report.
Delivery is an asset check: a mail server that refuses the login fails the check with the reason,
never the report.
"""

import dagster as dg

from pipelines.progress import report_progress
from pipelines.redaction import keeps_secrets_out
from pipelines.report_run import Delivery, ReportNotWritten, deliver, write_period_report
from pipelines.run_limits import warehouse_pool
from pipelines.run_window import month_partitions, partition_dates, single_run

REPORT_KEY = dg.AssetKey(["reports", "monthly_report"])
REPORT_DELIVERED = "report_delivered"
# What the report reads: the ROI tables, the KPI progress and the budgets.
ROI_TABLES = [
    dg.AssetKey(["marts", name])
    for name in (
        "roi_by_channel",
        "roi_by_campaign",
        "roi_by_channel_monthly",
        "roi_by_campaign_monthly",
        "kpi_progress",
        "budget_daily",
    )
]


class ReportDelivery(dg.Config):
    """Whether to mail the report (to SOCIAL_ROI_REPORT_EMAIL_TO); the monthly schedule sets it."""

    deliver: bool = False


@dg.asset(
    key=REPORT_KEY,
    deps=ROI_TABLES,
    description="The report for management for the months materialized, or the run's days (the monthly schedule: last month): one "
    "self-contained HTML file, and a PDF when Chromium is installed, with ROI, ROAS, costs, conversions and KPI "
    "status against the previous period.",
    group_name="reporting",
    kinds={"html"},
    partitions_def=month_partitions,
    backfill_policy=single_run,
    pool=warehouse_pool(),
    check_specs=[
        dg.AssetCheckSpec(
            REPORT_DELIVERED,
            asset=REPORT_KEY,
            description="When the run asks for delivery: the report was mailed to SOCIAL_ROI_REPORT_EMAIL_TO.",
        )
    ],
)
@keeps_secrets_out
def monthly_report(context: dg.AssetExecutionContext, config: ReportDelivery) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    try:
        written = write_period_report(start=start, end=end, pdf=True, read_published=False)
    except (ReportNotWritten, ValueError) as problem:
        raise dg.Failure(description=str(problem), allow_retries=False) from None
    report_progress(context, f"report: {written.html}")
    delivery = deliver(written) if config.deliver else Delivery("not asked for: the monthly schedule mails it")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(written.html)),
            "pdf": dg.MetadataValue.path(str(written.pdf)) if written.pdf else f"not written: {written.pdf_problem}",
            "period": f"{start}..{end}",
            "headline": dg.MetadataValue.md(written.headline_markdown),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=REPORT_DELIVERED,
                passed=delivery.problem is None,
                description=delivery.problem or delivery.outcome,
                metadata={"outcome": delivery.outcome},
            )
        ],
    )
