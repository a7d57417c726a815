{{ config(materialized='table') }}
-- depends_on: {{ ref('cost_daily') }}, {{ ref('conversions_daily') }}, {{ ref('engagement_daily') }}
-- Actual against the targets agreed with management (config/kpi_targets.csv, or the file named by
-- SOCIAL_ROI_KPI_TARGETS): one row per target, the actual computed from the marts over the
-- target's own period, channel and campaign with the same definitions as the ROI tables.
{%- set targets_file = env_var('SOCIAL_ROI_KPI_TARGETS', '../config/kpi_targets.csv') %}
{%- set metrics = {
    'spend': 'spend',
    'total_cost': 'total_cost',
    'revenue': ('ga4_revenue' if var('revenue_source') == 'ga4' else 'platform_conversion_value'),
    'ga4_revenue': 'ga4_revenue',
    'ga4_key_events': 'ga4_key_events',
    'ga4_sessions': 'ga4_sessions',
    'platform_conversions': 'platform_conversions',
    'roas': ('ga4_revenue' if var('revenue_source') == 'ga4' else 'platform_conversion_value') ~ ' / nullif(spend, 0)',
    'roi': '(' ~ ('ga4_revenue' if var('revenue_source') == 'ga4' else 'platform_conversion_value') ~ ' - total_cost) / nullif(total_cost, 0)',
    'cpa_ga4_key_event': 'spend / nullif(ga4_key_events, 0)',
    'cpc_link': 'spend / nullif(link_clicks, 0)',
    'ctr_link': 'link_clicks / nullif(impressions, 0)',
    'engagement_rate_by_impressions': 'engagements / nullif(impressions, 0)',
} %}
with targets as (
    select *
    from read_csv('{{ targets_file }}', header = true, columns = {
        'target_id': 'VARCHAR', 'metric': 'VARCHAR', 'channel': 'VARCHAR', 'campaign_id': 'VARCHAR',
        'period_start': 'DATE', 'period_end': 'DATE', 'target_value': 'DOUBLE', 'direction': 'VARCHAR',
        'note': 'VARCHAR'
    })
),

checked as (
    select
        * replace (
            case
                when metric not in ({{ quoted_list(metrics.keys() | list) }})
                    then error(
                        'KPI target ' || target_id || ' in {{ targets_file }}: metric '
                        || coalesce('''' || metric || '''', 'is empty')
                        || ' is not one of {{ metrics.keys() | join(", ") }}.'
                    )
                when period_end < period_start
                    then error(
                        'KPI target ' || target_id || ' in {{ targets_file }}: period_end is before period_start.'
                    )
                when coalesce(direction, '') not in ('at_least', 'at_most')
                    then error(
                        'KPI target ' || target_id || ' in {{ targets_file }}: direction must be at_least or at_most.'
                    )
                else metric
            end as metric
        )
    from targets
),

facts as (
    {{ roi_facts(roi_marts_as_refs()) }}
),

sums as (
    select
        t.target_id,
        coalesce(sum(f.spend), 0)                     as spend,
        coalesce(sum(f.total_cost), 0)                as total_cost,
        coalesce(sum(f.platform_conversions), 0)      as platform_conversions,
        coalesce(sum(f.platform_conversion_value), 0) as platform_conversion_value,
        coalesce(sum(f.ga4_sessions), 0)              as ga4_sessions,
        coalesce(sum(f.ga4_key_events), 0)            as ga4_key_events,
        coalesce(sum(f.ga4_revenue), 0)               as ga4_revenue,
        coalesce(sum(f.link_clicks), 0)               as link_clicks,
        coalesce(sum(f.impressions), 0)               as impressions,
        coalesce(sum(f.engagements), 0)               as engagements,
        max(f.date_day)                               as data_until
    from checked as t
    left join facts as f
        on  f.date_day between t.period_start and t.period_end
        and (t.channel is null or f.channel = lower(trim(t.channel)))
        and (t.campaign_id is null or f.campaign_id = t.campaign_id)
    group by t.target_id
),

actuals as (
    select
        t.*,
        s.data_until,
        case t.metric
            {%- for name, expression in metrics.items() %}
            when '{{ name }}' then cast({{ expression }} as double)
            {%- endfor %}
        end as actual_value
    from checked as t
    join sums as s using (target_id)
)

select
    target_id,
    metric,
    coalesce(channel, 'all channels')             as channel,
    campaign_id,
    period_start,
    period_end,
    direction,
    target_value,
    actual_value,
    actual_value / nullif(target_value, 0)        as progress,
    case
        when actual_value is null then 'no data'
        when direction = 'at_least' and actual_value >= target_value then 'met'
        when direction = 'at_most' and actual_value <= target_value then 'met'
        else 'not met'
    end                                           as status,
    data_until,
    note
from actuals
order by period_start, target_id
