"""What a reader should know before trusting the figures: days missing or still provisional, GA4
days it reported as incomplete, time zones that do not line up, currencies converted and where
the rates came from, and spend or revenue no campaign could be matched to."""

from __future__ import annotations

from typing import Any

from babel.lists import format_list

from pipelines.report.labels import channel_name
from pipelines.report.sections import Sections


def data_notes(sections: Sections) -> dict[str, Any]:
    figures, fmt, words = sections.figures, sections.fmt, sections.words
    notes = []
    if figures.missing_days:
        notes.append(words["missing_days"].format(days=fmt.day_ranges(figures.missing_days)))
    provisional: dict[str, int] = {}
    for row in figures.channels:
        if row["is_provisional"]:
            provisional[row["channel"]] = max(provisional.get(row["channel"], 0), row["provisional_days"])
    for channel, days in provisional.items():
        # the channel's last `days` days with data up to the period's end: those it may still restate
        held = [row for row in figures.daily if row["channel"] == channel and row["date_day"] in figures.days_with_data]
        last = held[-days:]
        notes.append(
            words["provisional"].format(
                channel=channel_name(channel),
                days=fmt.count(days),
                dates=fmt.day_ranges([row["date_day"] for row in last]),
                cost=fmt.money(sum(row["total_cost"] for row in last)),
                returned=fmt.money(sum(row["return_value"] for row in last)),
            )
        )
    flagged: dict[str, list] = {}
    for row in figures.ga4_flagged_days:
        flagged.setdefault(row["report"], []).append(row["date_day"])
    if not flagged:
        notes.append(words["ga4_not_flagged"])
    # the traffic report's days (sessions, revenue), then the key events split by event name (the goals)
    for report, note in (("traffic", "ga4_flagged"), ("key_events", "ga4_key_events_flagged")):
        if report in flagged:
            notes.append(words[note].format(days=fmt.day_ranges(flagged[report])))
    zones = {}
    for row in figures.channels:
        if row["time_zone_warning"]:
            zones.setdefault(row["channel"], row["time_zones"])
    for channel, listed in zones.items():
        notes.append(
            words["time_zone"].format(
                channel=channel_name(channel), count=fmt.count(len(listed.split(", "))), zones=listed
            )
        )
    notes.append(_currencies(sections))
    notes.append(words[f"vat_{figures.revenue_vat}"])
    notes.append(words[f"attribution_{figures.revenue_source}"])
    notes.append(_conversion_values(sections))
    notes.append(_ledger(sections))
    notes.append(words["definitions"])
    return {"notes": notes, "unmatched": _unmatched(sections)}


# The order the note names what a currency's money was used for: costs first, then value.
USED_FOR_ORDER = ("spend", "other_costs", "platform_value", "ga4", "conversion_values")


def _currencies(sections: Sections) -> str:
    """The rates the marts converted the period's money at (marts.fx_rates_applied), per currency:
    what was converted, how many published rates were applied and their range, whose rates they
    are, and how old a rate a day without its own could take."""
    figures, fmt, words = sections.figures, sections.fmt, sections.words
    if not figures.currencies:
        return words["currencies_none"].format(currency=figures.currency)
    listing = []
    for row in figures.currencies:
        used_for = [use for use in USED_FOR_ORDER if use in row["used_for"]]
        if row["rate_days"] == 1:
            rates = words["rates_one"].format(rate=fmt.decimal(row["min_rate"], 4))
        else:
            rates = words["rates_many"].format(
                rate_days=fmt.count(row["rate_days"]),
                min_rate=fmt.decimal(row["min_rate"], 4),
                max_rate=fmt.decimal(row["max_rate"], 4),
            )
        basis = format_list([words[f"basis_{source}"] for source in row["sources"]], locale=fmt.locale)
        if row["derivations"] != ["direct"]:
            derivations = [words[f"derivation_{derivation}"] for derivation in row["derivations"]]
            basis = words["basis_derived"].format(derivations=format_list(derivations, locale=fmt.locale), basis=basis)
        age = row["max_days_since_rate"]
        stale = ""
        if age:
            stale = words["stale"].format(
                age=words["age_one_day"] if age == 1 else words["age_days"].format(days=fmt.count(age))
            )
        listing.append(
            words["currency_item"].format(
                currency=row["currency"],
                used_for=format_list([words[f"used_for_{use}"] for use in used_for], locale=fmt.locale),
                rates=rates,
                basis=basis,
                stale=stale,
            )
        )
    return words["currencies"].format(currency=figures.currency, listing=" ".join(listing))


def _conversion_values(sections: Sections) -> str:
    """The agreed values the period's valued conversions were worth, row by row of the values file."""
    figures, fmt, words = sections.figures, sections.fmt, sections.words
    if not figures.conversion_values:
        return words["values_none"]
    listing = []
    for row in figures.conversion_values:
        if row["use_reported_value"]:
            terms = words[f"value_reported_{row['use_reported_value']}"]
        elif row["close_rate"] is not None:
            terms = words["value_close_rate"].format(
                rate=fmt.percent(row["close_rate"]), deal=fmt.money(row["deal_value"], row["currency"])
            )
        else:
            terms = words["value_fixed"].format(value=fmt.money(row["value_per_conversion"], row["currency"]))
        listing.append(
            words["value_item"].format(
                goal=sections.code("goal", row["goal"]),
                value_id=row["value_id"],
                terms=terms,
                conversions=fmt.count(row["conversions"]),
                value=fmt.money(row["value"]),
            )
        )
    return words["values"].format(listing="; ".join(listing))


def _ledger(sections: Sections) -> str:
    """The cost ledger's costs on the period's days and how they were spread."""
    figures, fmt, words = sections.figures, sections.fmt, sections.words
    if not figures.ledger_costs:
        return words["ledger_none"]
    listing = [
        words["ledger_item"].format(
            channel=f"{channel_name(row['channel'])} {sections.media_type_word(row['media_type'])}",
            category=sections.code("category", row["category"]),
            amount=fmt.money(row["amount"]),
        )
        for row in figures.ledger_costs
    ]
    return words["ledger"].format(listing="; ".join(listing))


# What the unmatched table's rows say about tracking: spend whose clicks reached no GA4 session.
UNTRACKED_PROBLEMS = ("spend_without_tracked_traffic", "partly_tagged")


def tracking_problem(sections: Sections) -> dict[str, Any] | None:
    """Spend of the period whose link clicks reached pages GA4 never saw: untagged or broken UTM
    links, a tracking problem whatever the campaign was bought for (a brand campaign's clicks land
    on the site too). None when every click was tracked. Amounts in the reporting currency."""
    figures, fmt, words = sections.figures, sections.fmt, sections.words
    rows = [row for row in figures.unmatched if row["problem"] in UNTRACKED_PROBLEMS and row["link_clicks"]]
    if not rows:
        return None
    spend = sum(row["spend_reporting"] for row in rows)
    share = spend / figures.totals["spend"] if figures.totals["spend"] else None
    return {
        "text": words["tracking_problem"].format(
            spend=fmt.money(spend),
            share=fmt.percent(share),
            clicks=fmt.count(sum(row["link_clicks"] for row in rows)),
            conversions=fmt.count(sum(row["platform_conversions"] for row in rows)),
            campaigns=", ".join(f"{row['campaign_or_utm']} ({channel_name(row['channel'])})" for row in rows),
        ),
        "campaign_ids": {row["campaign_id"] for row in rows},
    }


def _unmatched(sections: Sections) -> list[dict[str, str]]:
    fmt = sections.fmt
    return [
        {
            "problem": sections.code("problem", row["problem"]),
            "channel": sections.codes["channel"].get(row["channel"], channel_name(row["channel"]))
            if row["channel"]
            else fmt.none,
            "campaign": row["campaign_or_utm"] or fmt.none,
            "days": fmt.period(row["first_day"], row["last_day"]) if row["first_day"] and row["last_day"] else fmt.none,
            "spend": fmt.money(row["spend"], row["currency"]) if row["spend"] else fmt.none,
            "link_clicks": fmt.count(row["link_clicks"]) if row["link_clicks"] else fmt.none,
            "platform_conversions": fmt.count(row["platform_conversions"]) if row["platform_conversions"] else fmt.none,
            "sessions": fmt.count(row["sessions"]),
            "revenue": fmt.money(row["revenue"], row["currency"]) if row["revenue"] else fmt.none,
        }
        for row in sections.figures.unmatched
    ]
