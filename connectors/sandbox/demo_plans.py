"""The demo advertiser's own non-media costs, KPI targets, conversion values and budgets, written as a team
would record them (config/*.csv hold a real team's), so that `social-roi demo` shows full costs,
targets, a return for its lead, sign-up and webinar campaigns, and budget against actual."""

import csv
import datetime as dt
from pathlib import Path

from connectors.sandbox.advertiser import SyntheticAdvertiser

DEMO_SEED = 7  # the advertiser `social-roi demo` serves, whose campaigns config/'s example rows name


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


# The shipped mapping files whose rows may name one advertiser's campaigns (config/, "Sandbox example" rows
# for the demo advertiser, seed 7), by the setting that names each.
CAMPAIGN_FILES = {
    "SOCIAL_ROI_CAMPAIGN_MAPPING": "campaign_mapping.csv",
    "SOCIAL_ROI_CONVERSION_GOALS": "conversion_goals.csv",
}


def write_client_mappings(directory: Path, config: Path, advertiser: SyntheticAdvertiser) -> dict[str, str]:
    """The shipped mapping files as one agency client keeps its own: the rows for every advertiser as they
    are, and the demo advertiser's example rows for campaigns of this one's (the same line of its
    campaign plan). An agency never shares a file that names one client's campaigns: the other clients'
    warehouses would hold those ids, and a UTM tag two clients both use would be credited to the wrong one."""
    demo = SyntheticAdvertiser(seed=DEMO_SEED, today=advertiser.today)
    demo_campaigns = demo.meta_campaigns + demo.linkedin_campaigns
    own_campaigns = advertiser.meta_campaigns + advertiser.linkedin_campaigns
    own_id = {demo.id: own.id for demo, own in zip(demo_campaigns, own_campaigns, strict=False)}
    directory.mkdir(parents=True, exist_ok=True)
    settings = {}
    for setting, name in CAMPAIGN_FILES.items():
        with (config / name).open(encoding="utf-8", newline="") as shipped:
            rows = list(csv.DictReader(shipped))
        fields = list(rows[0]) if rows else []
        target = directory / name
        with target.open("w", encoding="utf-8", newline="") as written:
            writer = csv.DictWriter(written, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                if row["campaign_id"]:
                    row["campaign_id"] = own_id[row["campaign_id"]]
                writer.writerow(row)
        settings[setting] = str(target)
    return settings
