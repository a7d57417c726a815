"""The report's sections as the template shows them: the warehouse's figures formatted for the
reader's locale, and the charts drawn from them. Rows come from the ROI tables as they are; the
only arithmetic here is adding up additive counts for an "all" column and ratios of those sums."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from itertools import groupby
from typing import Any

from pipelines.report import charts
from pipelines.report.figures import Figures, Row
from pipelines.report.formatting import Formatter
from pipelines.report.labels import CODES, LABELS, channel_name

# goal → (stem of its count columns, its cost-per-conversion column), as the ROI tables name them
GOALS = {
    "purchase": ("purchases", "cpa_purchase"),
    "lead": ("leads", "cpl"),
    "sign_up": ("sign_ups", "cost_per_sign_up"),
    "registration": ("registrations", "cost_per_registration"),
}
# the KPI metrics measured on the organic pages (kpi_organic_metrics in the dbt project)
ORGANIC_METRICS = ("follower_growth", "net_follower_growth", "engagement_rate_by_followers")
TOP_CAMPAIGNS = 5
TOP_PER_GOAL = 3


class Sections:
    """Builds each section's view of one period's figures."""

    def __init__(self, figures: Figures, locale: str) -> None:
        self.figures = figures
        self.fmt = Formatter(locale, figures.currency)
        self.words = LABELS[locale]
        self.codes = CODES[locale]
        self.paid = [row for row in figures.channels if row["media_type"] == "paid"]
        # the count behind each cost per conversion: GA4's, or the platforms' when they are the revenue source
        self.counted = "ga4" if figures.revenue_source == "ga4" else "claimed"

    def code(self, kind: str, value: str | None) -> str:
        return self.codes[kind].get(value, value) if value else self.words["none"]

    def row_name(self, row: Row) -> str:
        return f"{channel_name(row['channel'])} {self.media_type_word(row['media_type'])}"

    def media_type_word(self, media_type: str) -> str:
        return self.words.get(media_type, media_type)

    def roi_text(self, row: Row | None, column: str = "roi") -> str:
        """The ROI as shown; where there is none, "–" says which of its reasons: no tracked traffic
        (the warehouse's own reason), nothing spent or booked, or no data at all."""
        if row is None:
            reason = "no_data"
        elif row[column] is not None:
            return self.fmt.percent(row[column])
        else:
            reason = row.get("roi_null_reason") or ("no_cost" if not row["total_cost"] else "no_data")
        return f"{self.words['none']} ({self.code('roi_null_reason', reason)})"

    # headline and KPI targets

    def headline(self) -> list[dict[str, Any]]:
        """All social against the previous period (and last year): total cost; observed revenue and
        the agreed value of conversions apart, then their sum; ROI on revenue beside ROI with the
        agreed value; ROAS of the paid traffic alone."""
        totals, previous, last_year = self.figures.totals, self.figures.previous_totals, self.figures.year_before_totals
        fmt, words = self.fmt, self.words
        revenue = f"revenue_{self.figures.revenue_source}"
        cards_shown: dict[str, tuple[str, str, Callable, Callable]] = {
            # figure → (label, hint, how its value is shown, how its change is shown)
            "total_cost": (
                words["total_cost"],
                words["total_cost_hint"].format(
                    spend=fmt.money(totals["spend"]), other=fmt.money(totals["other_costs"])
                ),
                fmt.money,
                fmt.change_percent,
            ),
            "revenue": (words[revenue], words[f"{revenue}_hint"], fmt.money, fmt.change_percent),
            "valued_conversions_value": (
                words["valued_conversions"],
                words["valued_conversions_hint"],
                fmt.money,
                fmt.change_percent,
            ),
            "return_value": (
                words["return_value"],
                words["return_value_hint"].format(
                    revenue=fmt.money(totals["revenue"]), valued=fmt.money(totals["valued_conversions_value"])
                ),
                fmt.money,
                fmt.change_percent,
            ),
            "roi_on_revenue": (words["roi_on_revenue"], words["roi_on_revenue_hint"], fmt.percent, fmt.change_points),
            "roi": (words["roi"], words["roi_hint"], fmt.percent, fmt.change_points),
            "paid_roas": (
                words["paid_roas"],
                words["paid_roas_hint"].format(organic=fmt.money(totals["organic_revenue"])),
                fmt.ratio,
                fmt.change_ratio,
            ),
        }
        cards = []
        for key, (label, hint, show, change) in cards_shown.items():
            card = {"key": key, "label": label, "value": show(totals[key]), "hint": hint}
            if key in ("roi", "roi_on_revenue"):
                card["value"] = self.roi_text(totals, key)
            if previous["channel_rows"]:
                card["previous"] = show(previous[key])
                # a change against days that are not all loaded (on either side) would be an artefact
                card["change"] = change(totals[key], previous[key]) if self.figures.comparable else words["partial"]
            if last_year and last_year["channel_rows"]:
                card |= {"year_before": show(last_year[key]), "year_change": change(totals[key], last_year[key])}
            cards.append(card)
        return cards

    def kpi(self) -> list[dict[str, Any]]:
        rows = []
        for target in self.figures.kpi:
            metric = target["metric"]
            if target["campaign_id"]:
                scope = f"{target['campaign_name'] or target['campaign_id']} ({channel_name(target['channel'] or '')})"
            else:
                over_all = not target["channel"] or target["channel"] == "all channels"  # kpi_progress' own words
                scope = self._kpi_scope_over_all(metric) if over_all else channel_name(target["channel"])
            pacing = None
            if target["status"] in ("on_track", "at_risk"):
                pacing = {
                    "label": self.words["kpi_pacing"].format(
                        elapsed=self.fmt.count(target["days_elapsed"]), days=self.fmt.count(target["days_in_period"])
                    ),
                    "value": f"{self.fmt.metric(metric, target['expected_to_date'])} / "
                    f"{self.fmt.metric(metric, target['projected_value'])}",
                }
            rows.append(
                {
                    "id": target["target_id"],
                    "metric": self.code("metric", metric),
                    "scope": scope,
                    "period": self.fmt.period(target["period_start"], target["period_end"]),
                    "target": f"{self.words[target['direction']]} {self.fmt.metric(metric, target['target_value'])}",
                    "actual": self.fmt.metric(metric, target["actual_value"]),
                    "status": self.code("status", target["status"]),
                    "status_code": target["status"],
                    "pacing": pacing,
                    "note": target["note"],
                }
            )
        return rows

    def _kpi_scope_over_all(self, metric: str) -> str:
        """What a target without a channel covers: GA4's figures are the whole website's, the
        organic metrics every page and profile, the rest every channel."""
        if metric.startswith("ga4_") or (metric == "revenue" and self.figures.revenue_source == "ga4"):
            return self.words["kpi_whole_site"]
        if metric in ORGANIC_METRICS:
            return self.words["kpi_all_pages"]
        return self.words["kpi_all_channels"]

    # channels

    def provisional_note(self, row: Row) -> str:
        """A row's mark when the platforms may still restate some of its days, else nothing."""
        if not row.get("provisional_days"):
            return ""
        return self.words["provisional_mark"].format(days=self.fmt.count(row["provisional_days"]))

    def channels(self) -> dict[str, Any]:
        previous = {(row["channel"], row["media_type"]): row for row in self.figures.previous_channels}
        fmt = self.fmt
        rows = [
            {
                "name": self.row_name(row),
                "total_cost": fmt.money(row["total_cost"]),
                "revenue": fmt.money(row["revenue"]),
                "valued": fmt.money(row["valued_conversions_value"]),
                "roi_on_revenue": self.roi_text(row, "roi_on_revenue"),
                "roi": self.roi_text(row),
                "roi_previous": self.roi_text(previous.get((row["channel"], row["media_type"]))),
                "provisional": self.provisional_note(row),
            }
            for row in self.figures.channels
        ]
        # what each result cost to buy, per paid channel: on ad spend, as the platforms price it
        cost_rows = [
            {
                "name": channel_name(row["channel"]),
                "spend": fmt.money(row["spend"]),
                "roas": fmt.ratio(row["roas"]),
                "per_goal": [fmt.money(row[cost]) for _, cost in GOALS.values()],
                "cpc": fmt.money(row["cpc_link"]),
                "cpm": fmt.money(row["cpm"]),
            }
            for row in self.paid
        ]
        names = [self.row_name(row) for row in self.figures.channels]
        roi_chart = charts.bar_chart(
            self.words["chart_roi"],
            names,
            [
                charts.Series(self.words[column], [_float(row[column]) for row in self.figures.channels])
                for column in ("roi_on_revenue", "roi")
            ],
            self.words["chart_channel_axis"],
            charts.Axis(self.words["chart_roi_axis"], self.fmt.axis_percent, self.fmt.percent),
        )
        roas_chart = charts.bar_chart(
            self.words["chart_roas"],
            names,
            [charts.Series(self.words["roas"], [_float(row["roas"]) for row in self.figures.channels])],
            self.words["chart_channel_axis"],
            charts.Axis(self.words["chart_roas_axis"], self.fmt.axis_number, self.fmt.ratio),
        )
        return {
            "rows": rows,
            "cost_rows": cost_rows,
            "goals": [
                _capitalised(self.words["cost_per_goal"].format(goal=self.code("goal_one", goal))) for goal in GOALS
            ],
            "charts": [roi_chart, roas_chart],
        }

    def efficiency_charts(self) -> list[str]:
        """CPC (link clicks) and CPM of the paid rows, side by side in the reporting currency."""
        names = [channel_name(row["channel"]) for row in self.paid]
        money_axis = self.words["chart_cost_axis"].format(currency=self.figures.currency)
        return [
            charts.bar_chart(
                self.words[title],
                names,
                [charts.Series(self.words[series], [_float(row[column]) for row in self.paid])],
                self.words["channel"],
                charts.Axis(money_axis, self.fmt.axis_number, self.fmt.money),
            )
            for title, series, column in (("chart_cpc", "cpc", "cpc_link"), ("chart_cpm", "cpm", "cpm"))
        ]

    def over_time_charts(self) -> list[str]:
        """Total cost (ROI's basis) and revenue with agreed value per day, one chart per ad channel;
        days without data are gaps."""
        held = set(self.figures.days_with_data)
        by_channel = {
            channel: list(rows) for channel, rows in groupby(self.figures.daily, key=lambda row: row["channel"])
        }
        result = []
        # in the channel table's order: the channel that spent most first
        provisional = {
            row["channel"]: row["provisional_days"] for row in self.figures.channels if row["is_provisional"]
        }
        for channel in dict.fromkeys(row["channel"] for row in self.figures.channels):
            days = by_channel.get(channel, [])
            title = self.words["chart_over_time"].format(channel=channel_name(channel))
            loaded = [row["date_day"] for row in days if row["date_day"] in held]
            if provisional.get(channel) and loaded:
                first_provisional = loaded[-min(provisional[channel], len(loaded))]
                title += self.words["chart_provisional_from"].format(day=self.fmt.day(first_provisional))
            result.append(
                charts.line_chart(
                    title,
                    [self.fmt.day(row["date_day"]) for row in days],
                    [
                        charts.Series(
                            self.words[name], [_float(row[column]) if row["date_day"] in held else None for row in days]
                        )
                        for name, column in (("total_cost", "total_cost"), ("return_value", "return_value"))
                    ],
                    self.words["chart_date_axis"],
                    charts.Axis(
                        self.words["chart_money_axis"].format(currency=self.figures.currency), self.fmt.axis_number
                    ),
                )
            )
        return result

    def trend(self) -> dict[str, Any]:
        """All social per calendar month over the last 6 months (those with data): cost, observed
        revenue, agreed value and both ROIs, each month as the headline computes a period; a month
        not wholly loaded (or cut at the report's end) says how many of its days it holds."""
        fmt, words = self.fmt, self.words
        months = self.figures.trend
        rows = [
            {
                "month": fmt.month(row["month_start"]),
                "days": ""
                if row["days_loaded"] == row["month_end"].day
                and row["month_end"].day == _days_in_month(row["month_end"])
                else words["trend_days"].format(days=fmt.count(row["days_loaded"])),
                "total_cost": fmt.money(row["total_cost"]),
                "revenue": fmt.money(row["revenue"]),
                "valued": fmt.money(row["valued_conversions_value"]),
                "roi_on_revenue": self.roi_text(row, "roi_on_revenue"),
                "roi": self.roi_text(row),
                "provisional": self.provisional_note(row),
            }
            for row in months
        ]
        chart = charts.line_chart(
            words["chart_trend"],
            [fmt.month(row["month_start"]) for row in months],
            [
                charts.Series(words["total_cost"], [_float(row["total_cost"]) for row in months]),
                charts.Series(words["return_value"], [_float(row["return_value"]) for row in months]),
            ],
            words["chart_month_axis"],
            charts.Axis(words["chart_money_axis_month"].format(currency=self.figures.currency), self.fmt.axis_number),
        )
        return {"rows": rows, "chart": chart if len(months) > 1 else None}

    def funnel(self) -> dict[str, Any]:
        """Impressions → link clicks → GA4 sessions → conversions per goal → value, paid rows."""
        columns = [channel_name(row["channel"]) for row in self.paid] + [self.words["all_paid_social"]]
        steps: list[tuple[str, str, Callable]] = [
            (self.words["impressions"], "impressions", self.fmt.count),
            (self.words["link_clicks"], "link_clicks", self.fmt.count),
            (self.words["ctr"], "ctr_link", self.fmt.percent),
            (self.words["ga4_sessions"], "ga4_sessions", self.fmt.count),
            *[
                (_capitalised(f"{self.code('goal', goal)} (GA4)"), f"{stem}_ga4", self.fmt.count)
                for goal, (stem, _) in GOALS.items()
            ],
            (self.words["value"], "return_value", self.fmt.money),
        ]
        total = {column: _sum(self.paid, column) for _, column, _ in steps if column != "ctr_link"}
        total["ctr_link"] = _ratio(total["link_clicks"], total["impressions"])
        rows = [
            {"label": label, "values": [show(row[column]) for row in self.paid] + [show(total[column])]}
            for label, column, show in steps
        ]
        return {"columns": columns, "rows": rows}

    def audience(self) -> dict[str, Any]:
        """The organic pages: followers and their growth per network, and the posts that engaged most."""
        fmt, none = self.fmt, self.words["none"]
        networks = [
            {
                "name": channel_name(row["network"]),
                "basis": self.words[f"basis_{row['followers_basis']}"].format(
                    date=fmt.date(row["snapshot_day"]) if row["snapshot_day"] else none
                ),
                "followers_start": fmt.count(row["followers_start"]),
                "followers_end": fmt.count(row["followers_end"]),
                "growth": self._explained(fmt.percent(row["follower_growth_rate"]), self._why_no_growth(row)),
                "gained": fmt.count(row["followers_gained"]),
                "lost": none if row["followers_lost"] is None else fmt.count(row["followers_lost"]),
                "engagements": fmt.count(row["engagements"]),
                "engagement_rate": self._explained(
                    fmt.percent(row["engagement_rate_by_followers"]), self.words["rate_no_followers"]
                ),
            }
            for row in self.figures.audience
        ]
        posts = [
            {
                "network": channel_name(row["network"]),
                "date": fmt.date(row["published_date"]),
                "text": _shortened(row["post_text"] or ""),
                "permalink": _web_link(row["permalink"]),
                "views": fmt.count(row["views"]),
                "reach": fmt.count(row["lifetime_reach"]),
                "engagements": fmt.count(row["engagements"]),
                "engagement_rate": fmt.percent(row["engagement_rate_by_lifetime_reach"]),
                "settling": row["figures_settling"],
            }
            for row in self.figures.top_posts
        ]
        return {"networks": networks, "posts": posts}

    def _explained(self, text: str, why: str) -> str:
        """A figure as shown, or "–" with why there is none."""
        return f"{text} ({why})" if text == self.words["none"] else text

    def _why_no_growth(self, row: Row) -> str:
        if row["followers_basis"] in ("snapshot_days_only", "none"):
            return self.words["growth_unknown_losses"]
        return self.words["growth_no_start"]

    def claims(self) -> list[dict[str, Any]]:
        """Platform-claimed against GA4-observed conversions, per paid channel and goal. Only the
        claims made on the website are set against GA4; those made on the platform itself (lead
        forms, shop purchases) stand in their own column. The rows of a channel add up to its
        "all conversions" row: what the four goals leave is a row of its own. Last, the value the
        platform claims beside the revenue GA4 saw from the channel's paid traffic."""
        fmt, rows = self.fmt, []
        for row in self.paid:
            channel = channel_name(row["channel"])
            # label → (claimed on the website, GA4, over-claim ratio, claimed on the platform)
            goals = {
                self.code("goal", goal): (
                    row[f"{stem}_claimed"] - row[f"{stem}_claimed_on_platform"],
                    row[f"{stem}_ga4"],
                    row[f"over_claim_ratio_{stem}"],
                    row[f"{stem}_claimed_on_platform"],
                )
                for goal, (stem, _) in GOALS.items()
            }
            website = row["platform_conversions"] - row["platform_only_conversions"]
            observed, on_platform = row["ga4_key_events"], row["platform_only_conversions"]
            # other goals (downloads, add to cart…), and key events GA4 did not split by event name
            goals[self.words["claims_other_goals"]] = (
                website - sum(figures[0] for figures in goals.values()),
                observed - sum(figures[1] for figures in goals.values()),
                None,
                on_platform - sum(figures[3] for figures in goals.values()),
            )
            lines = [(label, *figures, False) for label, figures in goals.items()]
            lines.append((self.words["all_goals"], website, observed, row["over_claim_ratio"], on_platform, True))
            rows += [
                {
                    "channel": channel,
                    "goal": label,
                    "claimed": fmt.count(claimed),
                    "observed": fmt.count(seen),
                    "over_claim": fmt.ratio(ratio),
                    "on_platform": fmt.count(platform_only),
                    "total": total,
                }
                for label, claimed, seen, ratio, platform_only, total in lines
                if claimed or seen or platform_only
            ]
            rows.append(
                {
                    "channel": channel,
                    "goal": self.words["claims_value"],
                    "claimed": fmt.money(row["platform_conversion_value"] - row["platform_only_conversion_value"]),
                    "observed": fmt.money(row["ga4_revenue"]),
                    "over_claim": self.words["none"],
                    "on_platform": fmt.money(row["platform_only_conversion_value"]),
                    "total": False,
                }
            )
        return rows


def _shortened(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# A post's link comes from the platform as the post's author or an API left it: only a web address
# becomes a link (a javascript: or data: one would run in the reader's browser and the PDF).
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)


def _web_link(url: str | None) -> str | None:
    """`url` when it is an http(s) address, else None (the post is shown without a link)."""
    return url if url and _WEB_ADDRESS.fullmatch(url) else None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _sum(rows: list[Row], column: str) -> Any:
    return sum((row[column] or 0) for row in rows)


def _ratio(numerator: Any, denominator: Any) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def _days_in_month(day: Any) -> int:
    return calendar.monthrange(day.year, day.month)[1]
