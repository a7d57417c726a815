"""A figure shown in more than one place is defined once: follower growth and engagement per
follower come from the audience macros in the monthly mart, the report and the KPI targets alike,
and a KPI target's ROI follows the ROI tables' own formula, NULL rule included."""

import datetime as dt

import duckdb
import pytest

from conftest import ORGANIC_WINDOW, copy_of_settled
from warehouse_sql import query

pytestmark = pytest.mark.calendar


def test_a_months_follower_growth_is_the_same_figure_in_the_monthly_mart_the_report_and_a_kpi_target(
    settled, work_directory
):
    last = ORGANIC_WINDOW[1]
    first = last.replace(day=1)  # the organic window reaches back to this month's eve
    monthly = query(
        settled.warehouse,
        "select network, followers_start, followers_end, follower_growth_rate, engagements"
        " from marts.follower_growth_monthly where month = ? order by network",
        first,
    )
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "insert into marts.kpi_progress (target_id, metric, channel, period_start, period_end, target_value, direction)"
            " values ('growth', 'follower_growth', 'instagram', ?, ?, 0.01, 'at_least')",
            [first, first + dt.timedelta(days=40)],
        )

    report = query(
        copy,
        "select network, followers_start, followers_end, follower_growth_rate, engagements"
        " from marts.audience_between(?, ?) order by network",
        first,
        last,
    )
    [(target,)] = query(copy, "select actual_value from marts.kpi_progress_until(?) where target_id = 'growth'", last)

    assert report == monthly and any(rate is not None for *_, rate, _ in monthly)
    [instagram_rate] = [rate for network, *_, rate, _ in monthly if network == "instagram"]
    assert target == pytest.approx(instagram_rate)


def test_a_kpi_targets_roi_on_spend_no_session_followed_is_unknown_as_in_the_roi_tables(settled, work_directory):
    start, end = settled.window
    [(campaign_id, roi, reason)] = query(
        settled.warehouse,
        "select campaign_id, roi, roi_null_reason from marts.roi_by_campaign_between(?, ?)"
        " where channel = 'meta' and roi_null_reason is not null",
        start,
        end,
    )
    assert roi is None and reason == "no_tracked_traffic"
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "insert into marts.kpi_progress (target_id, metric, channel, campaign_id, period_start, period_end,"
            " target_value, direction) values ('roi', 'roi', 'meta', ?, ?, ?, 0, 'at_least')",
            [campaign_id, start, end],
        )

    [(actual, status)] = query(
        copy, "select actual_value, status from marts.kpi_progress_until(?) where target_id = 'roi'", end
    )

    assert actual is None and status == "no_data", "not −100 %: GA4 never saw a visit, so its return is unknown"
