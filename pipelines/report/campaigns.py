"""The campaign sections: every campaign ranked by ROI (the ones that lost money named), in two
tables with one cost basis each (profitability on total cost; cost per result on ad spend),
awareness campaigns on their own measures, and the campaigns with the best ROI and the lowest cost
per conversion (per goal: a purchase and a sign-up are different conversions, never blended)."""

from __future__ import annotations

from typing import Any

from pipelines.report.labels import channel_name
from pipelines.report.sections import GOALS, TOP_CAMPAIGNS, TOP_PER_GOAL, Sections


def ranked_by_roi(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best ROI first; campaigns without one (no tracked traffic, nothing spent, awareness) last,
    by spend."""
    return sorted(rows, key=lambda row: (row["roi"] is None, -(row["roi"] or 0), -(row["spend"] or 0)))


def campaign_tables(sections: Sections, untracked: set[str]) -> dict[str, Any]:
    """All campaigns ranked by ROI with agreed value, and the awareness campaigns read on CPM, reach
    (the sum of daily reach: an upper bound, never a sum of people) and engagement. A campaign in
    `untracked` (clicks GA4 never saw) says so beside how it is judged."""
    fmt = sections.fmt
    campaigns = ranked_by_roi(sections.figures.campaigns)
    every = [
        {
            "name": row["campaign_name"],
            "channel": channel_name(row["channel"]),
            "verdict_basis": sections.code("verdict_basis", row["verdict_basis"]),
            "awareness": row["verdict_basis"] == "awareness",
            "untracked": row["campaign_id"] in untracked,
            "provisional": sections.provisional_note(row),
            # on total cost: what ROI divides by, media spend and the costs allocated to it
            "spend": fmt.money(row["spend"]),
            "other_costs": fmt.money(row["other_costs"]),
            "total_cost": fmt.money(row["total_cost"]),
            "revenue": fmt.money(row["revenue"]),
            "valued": fmt.money(row["valued_conversions_value"]),
            "roi_on_revenue": sections.roi_text(row, "roi_on_revenue"),
            "roi": sections.roi_text(row),
            # on ad spend: what each result cost to buy
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
    losing = [
        row
        for row in campaigns
        if row["campaign_id"] is not None
        and row["roi"] is not None
        and row["roi"] < 0
        and row["verdict_basis"] != "awareness"
    ]
    losers = (
        sections.words["losers"].format(
            campaigns=", ".join(f"{row['campaign_name']} ({fmt.percent(row['roi'])})" for row in reversed(losing))
        )
        if losing
        else sections.words["no_losers"]
    )
    return {"all": every, "awareness": awareness, "losers": losers}


def top_campaigns(sections: Sections) -> dict[str, Any]:
    """The campaigns with the best ROI (those that made money), and per goal those that converted at
    the lowest cost on ad spend."""
    fmt = sections.fmt
    campaigns = [row for row in sections.figures.campaigns if row["campaign_id"] is not None]
    by_roi = [
        {
            "name": row["campaign_name"],
            "channel": channel_name(row["channel"]),
            "return_value": fmt.money(row["return_value"]),
            "total_cost": fmt.money(row["total_cost"]),
            "roi": sections.roi_text(row),
        }
        for row in ranked_by_roi(campaigns)[:TOP_CAMPAIGNS]
        if row["roi"] is not None and row["roi"] > 0
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
    return {"by_roi": by_roi, "by_cost": by_cost}
