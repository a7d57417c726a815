"""The agency overview: every client of the clients file side by side for one period, for the agency
itself (never for a client: it names them all).

Each client's line is its own report's headline for the period, read from its published copy by the
report's own queries (`pipelines/report/figures.py`), so the overview and the client's report can
never disagree: media spend, total cost, the revenue behind ROI, ROI on revenue and with agreed
value, and how its KPI targets stand. Money stays in each client's reporting currency and is never
added across clients (DECISIONLOG.md, "The agency overview adds no money across clients").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from connectors import clock
from pipelines.clients import Client, ClientsError, client_environment, clients_file, published_of, read_clients
from pipelines.lake import Lake, LakeError
from pipelines.private_files import write_private

# The KPI statuses that count as "on course" in the overview; the rest need the agency's attention.
ON_COURSE = ("met", "on_track")
NEEDS_ATTENTION = ("not_met", "at_risk")


@dataclasses.dataclass(frozen=True)
class ClientLine:
    client: Client
    currency: str
    figures: Mapping[str, float | None]  # the report's headline figures for the period (headline_numbers)
    kpi_statuses: Counter[str]
    missing_days: int
    problem: str = ""  # why there are no figures (no published copy yet, a copy without the marts)


def client_line(client: Client, start: dt.date, end: dt.date, env: Mapping[str, str]) -> ClientLine:
    """One client's line, from its published copy (or its lake, read directly); a client without figures
    gets a line saying why."""
    from pipelines.report.build import headline_numbers
    from pipelines.report.figures import ReportError, read_figures
    from pipelines.settings import SettingsError, warehouse_location

    try:
        warehouse = warehouse_location(client_environment(client, env), create=False)
        figures = read_figures(warehouse if isinstance(warehouse, Lake) else published_of(client), start, end)
    except (ReportError, LakeError, SettingsError, ClientsError) as problem:
        return ClientLine(client, "", {}, Counter(), 0, str(problem))
    return ClientLine(
        client,
        figures.currency,
        headline_numbers(figures),
        Counter(row["status"] for row in figures.kpi),
        len(figures.missing_days),
        "" if figures.days_with_data else "no data for the period",
    )


def overview_lines(env: Mapping[str, str], start: dt.date, end: dt.date) -> list[ClientLine]:
    path = clients_file(env)
    if path is None:
        raise ValueError(
            "The agency overview needs a clients file: set SOCIAL_ROI_CLIENTS (README, 'An agency's clients')."
        )
    return [client_line(client, start, end, env) for client in read_clients(path).values()]


def render_overview(lines: list[ClientLine], start: dt.date, end: dt.date, locale: str) -> str:
    from pipelines.report.formatting import Formatter
    from pipelines.report.labels import CODES, LABELS
    from pipelines.report.render import template

    words = LABELS[locale]
    statuses = CODES[locale]["status"]
    rows = []
    for line in lines:
        fmt = Formatter(locale, line.currency or "NOK")
        figures = line.figures
        kpi = ", ".join(f"{count} {statuses[status]}" for status, count in sorted(line.kpi_statuses.items()))
        rows.append(
            {
                "name": line.client.name,
                "id": line.client.id,
                "currency": line.currency,
                "problem": line.problem,
                "spend": fmt.money(figures.get("spend")),
                "total_cost": fmt.money(figures.get("total_cost")),
                "revenue": fmt.money(figures.get("revenue")),
                "roi_on_revenue": fmt.percent(figures.get("roi_on_revenue")),
                "roi": fmt.percent(figures.get("roi")),
                "kpi": kpi or words["none"],
                "attention": sum(line.kpi_statuses[status] for status in NEEDS_ATTENTION),
                "missing_days": line.missing_days,
            }
        )
    fmt = Formatter(locale, "NOK")
    return template("overview.html.j2").render(
        lang=locale,
        w=words,
        title=words["overview_title"],
        period=fmt.period(start, end),
        period_days=f"{fmt.date(start)} – {fmt.date(end)}",
        generated=words["generated"].format(date=fmt.date(clock.today())),
        rows=rows,
    )


def write_overview(
    env: Mapping[str, str], start: dt.date, end: dt.date, locale: str = "nb", out: Path | None = None
) -> tuple[Path, list[ClientLine]]:
    """Write the overview's HTML (0600) to `out`, by default beside the clients file; return it and the lines."""
    lines = overview_lines(env, start, end)
    path = clients_file(env)
    assert path is not None  # overview_lines refused otherwise
    target = out or path.parent / "overview" / f"agency-overview-{start}_{end}.html"
    return write_private(target, render_overview(lines, start, end, locale)), lines


def overview_text(lines: list[ClientLine]) -> str:
    """The overview as console lines (plain numbers, each client in its own currency)."""

    def number(value: float | None, percent: bool = False) -> str:
        if value is None:
            return "–"
        return f"{value:.1%}" if percent else f"{value:,.2f}"

    text = []
    for line in lines:
        if line.problem:
            text.append(f"{line.client.id}  {line.client.name}: {line.problem}")
            continue
        figures = line.figures
        kpi = ", ".join(f"{count} {status}" for status, count in sorted(line.kpi_statuses.items())) or "no targets"
        text.append(
            f"{line.client.id}  {line.client.name} ({line.currency}): total cost {number(figures.get('total_cost'))}, "
            f"revenue {number(figures.get('revenue'))}, ROI on revenue {number(figures.get('roi_on_revenue'), True)}; "
            f"KPIs: {kpi}"
        )
    return "\n".join(text)
