{#- The metrics a KPI target may name, each as an expression over the sums of kpi_measured (the
    ROI tables' definitions). -#}
{% macro kpi_metrics() -%}
{%- set revenue = 'ga4_revenue' if var('revenue_source') == 'ga4' else 'platform_conversion_value' %}
{%- set metrics = {
    'spend': 'spend',
    'total_cost': 'total_cost',
    'revenue': revenue,
    'ga4_revenue': 'ga4_revenue',
    'ga4_key_events': 'ga4_key_events',
    'ga4_sessions': 'ga4_sessions',
    'platform_conversions': 'platform_conversions',
    'roas': revenue ~ ' / nullif(spend, 0)',
    'return_value': revenue ~ ' + valued_conversions_value',
    'roi': '(' ~ revenue ~ ' + valued_conversions_value - total_cost) / nullif(total_cost, 0)',
    'cpl': 'spend / nullif(leads_ga4, 0)',
    'cpm': 'spend / nullif(impressions, 0) * 1000',
    'cpa_ga4_key_event': 'spend / nullif(ga4_key_events, 0)',
    'cpc_link': 'spend / nullif(link_clicks, 0)',
    'ctr_link': 'link_clicks / nullif(impressions, 0)',
    'engagement_rate_by_impressions': 'engagements / nullif(impressions, 0)',
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
