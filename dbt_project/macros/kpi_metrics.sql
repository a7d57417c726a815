{#- The metrics a KPI target may name, each as an expression over the sums of kpi_measured: the ROI
    tables' own formulas (roi_formulas, with their NULL rules) and the audience macros' (the organic
    metrics). -#}
{% macro kpi_metrics() -%}
{%- set formula = roi_formulas() %}
{%- set metrics = {
    'spend': 'spend',
    'total_cost': 'total_cost',
    'revenue': formula['revenue'],
    'ga4_revenue': 'ga4_revenue',
    'ga4_key_events': 'ga4_key_events',
    'ga4_sessions': 'ga4_sessions',
    'platform_conversions': 'platform_conversions',
    'roas': formula['roas'],
    'return_value': formula['return_value'],
    'roi': formula['roi'],
    'cpl': formula['cost_per_lead'],
    'cpm': formula['cpm'],
    'cpa_ga4_key_event': formula['cpa_ga4_key_event'],
    'cpc_link': formula['cpc_link'],
    'ctr_link': formula['ctr_link'],
    'engagement_rate_by_impressions': formula['engagement_rate_by_impressions'],
    'follower_growth': '(followers_end - followers_start) / nullif(followers_start, 0)',
    'net_follower_growth': 'followers_end - followers_start',
    'engagement_rate_by_followers': 'organic_engagements / nullif(follower_days, 0)',
} %}
{{- return(metrics) -}}
{%- endmacro %}

{#- The organic audience's metrics, measured on marts.audience_daily: over the target's channel, or one
    network (facebook, instagram, linkedin), or every organic account. Follower growth compares the
    followers at the end of the period's eve (else the first day's less its net change) with those
    at its last loaded day; the engagement rate by followers is Σ engagements / Σ (days × average
    followers of the days with a count), per account: for a page counted every day, Σ engagements /
    Σ daily followers. The report's audience table (pipelines/report/sql/audience.sql) uses the same
    definitions. -#}
{% macro kpi_organic_metrics() -%}
{{- return(['follower_growth', 'net_follower_growth', 'engagement_rate_by_followers']) -}}
{%- endmacro %}
