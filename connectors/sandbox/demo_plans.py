"""The demo advertiser's own non-media costs, KPI targets, conversion values and budgets, written as a team
would record them (config/*.csv hold a real team's), so that `social-roi demo` shows full costs,
targets, a return for its lead, sign-up and webinar campaigns, and budget against actual."""

import datetime as dt
from pathlib import Path


def write_demo_plans(directory: Path, start: dt.date, end: dt.date) -> dict[str, str]:
    """An example cost ledger and KPI targets for the demo window, so the demo shows full costs and
    targets the way a team would record them (config/*.csv hold the real ones)."""
    directory.mkdir(parents=True, exist_ok=True)
    ledger = directory / "demo_cost_ledger.csv"
    ledger.write_text(
        "entry_id,category,channel,campaign_id,period_start,period_end,amount,currency,hours,hourly_rate,note\n"
        f"staff-meta,staff_time,meta,,{start},{end},,NOK,{2 * ((end - start).days + 1)},650,"
        "innholdsansvarlig 2 t/dag\n"
        f"staff-li,staff_time,linkedin,,{start},{end},,NOK,{(end - start).days + 1},650,B2B-innhold 1 t/dag\n"
        f"tools,tools,meta,,{start},{end},99,EUR,,,verktøy for planlegging og rapportering\n"
        f"agency,agency_fees,linkedin,,{start},{end},1500,EUR,,,byråets oppsett av kampanjene\n"
    )
    targets = directory / "demo_kpi_targets.csv"
    targets.write_text(
        "target_id,metric,channel,campaign_id,period_start,period_end,target_value,direction,note\n"
        f"roas-meta,roas,meta,,{start},{end},1.0,at_least,Meta-annonsene betaler seg (inntekt fra betalt trafikk / annonsekjøp)\n"
        # a lead target measures leads: cost per lead (GA4's lead events) on ad spend, not per key event
        f"cpl-linkedin,cpl,linkedin,,{start},{end},1500,at_most,et kundeemne fra LinkedIn for høyst 1 500 kr i annonsekjøp\n"
        f"revenue-site,ga4_revenue,,,{start},{end},100000,at_least,"
        "inntekt på hele nettstedet fra alle kanaler i GA4 – ikke bare sosiale medier\n"
        # growth is measured from the end of the period's eve: the window's first day
        f"followers-instagram,follower_growth,instagram,,{start + dt.timedelta(days=1)},{end},0.05,at_least,"
        "Instagram +5 % i måneden\n"
    )
    values = directory / "demo_conversion_values.csv"
    values.write_text(
        "value_id,goal,channel,campaign_id,period_start,period_end,value,close_rate,deal_value,currency,use_reported_value,note\n"
        "lead,lead,,,,,,0.2,4000,NOK,,1 av 5 demoforespørsler blir en ordre på 4 000 kr\n"
        "sign-up,sign_up,,,,,,,,,ga4,verdien satt på nøkkelhendelsen sign_up i GA4\n"
        "webinar,registration,,,,,350,,,NOK,,en webinarplass: det et kundeemne derfra er verdt i snitt\n"
    )
    budgets = directory / "demo_budgets.csv"
    budgets.write_text(
        "budget_id,channel,period_start,period_end,amount,currency,covers,note\n"
        f"meta-media,meta,{start},{end},200000,NOK,media,annonsekjøp på Meta i perioden\n"
        f"linkedin-total,linkedin,{start},{end},15000,EUR,total,LinkedIn-annonser med arbeidstid og byråhonorar\n"
    )
    return {
        "SOCIAL_ROI_COST_LEDGER": str(ledger),
        "SOCIAL_ROI_KPI_TARGETS": str(targets),
        "SOCIAL_ROI_CONVERSION_VALUES": str(values),
        "SOCIAL_ROI_BUDGETS": str(budgets),
    }
