"""The campaign sections: every campaign by return, awareness campaigns on their own measures, and
the top campaigns by return and by cost per conversion (per goal: a purchase and a sign-up are
different conversions, never blended in one CPA)."""

from __future__ import annotations

from typing import Any

from pipelines.report.labels import channel_name
from pipelines.report.sections import GOALS, TOP_CAMPAIGNS, TOP_PER_GOAL, Sections


def campaign_tables(sections: Sections, untracked: set[str]) -> dict[str, list[dict[str, Any]]]:
    """All campaigns sorted by return (as read), and the awareness campaigns read on CPM, reach
    (the sum of daily reach: an upper bound, never a sum of people) and engagement. A campaign in
    `untracked` (clicks GA4 never saw) says so beside how it is judged."""
    fmt = sections.fmt
    campaigns = sections.figures.campaigns
    every = [
        {
            "name": row["campaign_name"],
            "channel": channel_name(row["channel"]),
            "verdict_basis": sections.code("verdict_basis", row["verdict_basis"]),
            "awareness": row["verdict_basis"] == "awareness",
            "untracked": row["campaign_id"] in untracked,
            "spend": fmt.money(row["spend"]),
            "total_cost": fmt.money(row["total_cost"]),  # what ROI divides by: spend and allocated costs
            "return_value": fmt.money(row["return_value"]),
            "roi": sections.roi_text(row),
            "cpa_purchase": fmt.money(row["cpa_purchase"]),
            "cpl": fmt.money(row["cpl"]),
            "cpc": fmt.money(row["cpc_link"]),
            "ctr": fmt.percent(row["ctr_link"]),
            "engagement_rate": fmt.percent(row["engagement_rate_by_impressions"]),
        }
        for row in campaigns
    ]
    awareness = [
        {
            "name": row["campaign_name"],
            "channel": channel_name(row["channel"]),
            "spend": fmt.money(row["spend"]),
            "impressions": fmt.count(row["impressions"]),
            "cpm": fmt.money(row["cpm"]),
            "reach": fmt.count(row["reach_sum_of_daily_upper_bound"]),
            "engagements": fmt.count(row["engagements"]),
            "engagement_rate": fmt.percent(row["engagement_rate_by_impressions"]),
        }
        for row in campaigns
        if row["verdict_basis"] == "awareness"
    ]
    return {"all": every, "awareness": awareness}


def top_campaigns(sections: Sections) -> dict[str, Any]:
    """The campaigns that returned most, and per goal those that converted at the lowest cost."""
    fmt = sections.fmt
    campaigns = [row for row in sections.figures.campaigns if row["campaign_id"] is not None]
    by_return = [
        {
            "name": row["campaign_name"],
            "channel": channel_name(row["channel"]),
            "return_value": fmt.money(row["return_value"]),
            "total_cost": fmt.money(row["total_cost"]),
            "roi": sections.roi_text(row),
        }
        for row in sorted(campaigns, key=lambda row: row["return_value"], reverse=True)[:TOP_CAMPAIGNS]
        if row["return_value"] > 0
    ]
    by_cost = []
    for goal, (stem, cost_column) in GOALS.items():
        count_column = f"{stem}_{sections.counted}"
        converting = [row for row in campaigns if row[cost_column] is not None]
        for row in sorted(converting, key=lambda row: row[cost_column])[:TOP_PER_GOAL]:
            by_cost.append(
                {
                    "goal": sections.code("goal", goal),
                    "name": row["campaign_name"],
                    "channel": channel_name(row["channel"]),
                    "cost": fmt.money(row[cost_column]),
                    "conversions": fmt.count(row[count_column]),
                }
            )
    return {"by_return": by_return, "by_cost": by_cost}
