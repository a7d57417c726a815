"""Budget against actual: each channel's budget for the report's days (config/budgets.csv, spread
evenly over each budget's days) beside what it spent on those days, what remains, the share used,
and how far the spending has got against the budget of the days loaded so far. The figures are
budget.sql's; this module only formats them."""

from __future__ import annotations

from typing import Any

from pipelines.report.labels import channel_name
from pipelines.report.sections import Sections


def budget_table(sections: Sections) -> dict[str, Any]:
    """The table's rows (none when no budget covers a day of the period) and the sentence that says
    how the figures are counted, up to which day."""
    fmt, words = sections.fmt, sections.words
    rows = []
    last_loaded = None
    for row in sections.figures.budget:
        last_loaded = row["last_loaded_day"]
        budgets = sorted(row["budgets"], key=lambda budget: (budget["period_start"], budget["budget_id"]))
        rows.append(
            {
                "channel": channel_name(row["channel"]),
                "covers": sections.code("covers", row["covers"]),
                "budgets": [
                    words["budget_item"].format(
                        id=budget["budget_id"],
                        amount=fmt.money(budget["amount"], budget["currency"]),
                        period=fmt.period(budget["period_start"], budget["period_end"]),
                    )
                    + (f" ({budget['note']})" if budget["note"] else "")
                    for budget in budgets
                ],
                "budget": fmt.money(row["budget"]),
                "actual": fmt.money(row["actual"]),
                "remaining": fmt.money(row["remaining"]),
                "share_used": fmt.percent(row["share_used"]),
                "expected": fmt.money(row["expected_to_date"]),
                "share_of_expected": fmt.percent(row["share_of_expected"]),
            }
        )
    intro = words["budget_intro"].format(
        currency=sections.figures.currency, last_day=fmt.date(last_loaded) if last_loaded else words["none"]
    )
    return {"rows": rows, "intro": intro}
