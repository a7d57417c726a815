{#- The targets' actuals, pacing and status as of a day, over the targets in `targets` (a CTE or
    relation with target_id, metric, channel (NULL: all), campaign_id, period_start, period_end,
    target_value, direction, note): continues a `with` list with its own CTEs and ends in the
    select. The model measures as of the last loaded day; marts.kpi_progress_until(day) measures
    the same targets as of an earlier one (a report's last day), so a report for November never
    counts December's days in a target that runs on.
    as_of: a SQL date expression; relations: the marts by name, as roi_facts takes them. -#}
{% macro kpi_measured(targets, as_of, relations) -%}
{%- set metrics = kpi_metrics() %}
{%- set organic_metrics = kpi_organic_metrics() %}
{#- Metrics that add up over days: pacing scales the target with the share of the period elapsed.
    The others are ratios, whose expected value to date is the target itself. -#}
{%- set additive = [
    'spend', 'total_cost', 'revenue', 'return_value', 'ga4_revenue', 'ga4_key_events', 'ga4_sessions',
    'platform_conversions', 'follower_growth', 'net_follower_growth'
] %}
facts as (
    {{ roi_facts(relations) }}
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
        coalesce(sum(f.leads_ga4), 0)                 as leads_ga4,
        coalesce(sum(f.leads_claimed), 0)             as leads_claimed,
        coalesce(sum(f.valued_conversions_value), 0)  as valued_conversions_value,
        max(f.date_day)                               as data_until
    from {{ targets }} as t
    left join facts as f
        on  f.date_day between t.period_start and least(t.period_end, cast({{ as_of }} as date))
        and (t.channel is null or f.channel = t.channel)
        and (t.campaign_id is null or f.campaign_id = t.campaign_id)
        -- a channel's or campaign's target measures what was bought; over all channels, everything
        and (t.channel is null and t.campaign_id is null or f.media_type <> 'organic')
        -- the organic pages' own engagement is for the organic metrics below
        and f.organic_audience is null
    group by t.target_id
),

organic_windows as (
    -- each organic target's own window of days, up to the day it is measured as of
    select
        t.target_id                                            as window_key,
        t.period_start                                         as window_start,
        least(t.period_end, cast({{ as_of }} as date))         as window_end,
        t.channel                                              as scope
    from {{ targets }} as t
    where t.metric in ({{ quoted_list(organic_metrics) }})
),

organic_by_account as (
    {{ audience_by_account('organic_windows', relations['audience_daily']) }}
),

organic_sums as (
    -- all accounts of the scope together, by the audience macros (the report's definitions)
    select
        window_key       as target_id,
        followers_start,
        followers_end,
        engagements      as organic_engagements,
        follower_days,
        data_until       as organic_data_until
    from ({{ audience_totals('organic_by_account', ['window_key']) }}) as totals
),

last_loaded as (
    -- how far a running period has got: the last day the warehouse holds for any channel, or the
    -- day the figures are asked for when that is earlier
    select least((select max(f.date_day) from facts as f), cast({{ as_of }} as date)) as last_day
),

actuals as (
    select
        t.*,
        case when t.metric in ({{ quoted_list(organic_metrics) }}) then o.organic_data_until else s.data_until end
            as data_until,
        greatest(0, least(t.period_end, l.last_day) - t.period_start + 1) as days_elapsed,
        t.period_end - t.period_start + 1                                  as days_in_period,
        case t.metric
            {%- for name, expression in metrics.items() %}
            when '{{ name }}' then cast({{ expression }} as double)
            {%- endfor %}
        end                                                                as actual_value
    from {{ targets }} as t
    inner join sums as s using (target_id)
    left join organic_sums as o using (target_id)
    cross join last_loaded as l
),

paced as (
    select
        *,
        days_elapsed < days_in_period as is_running,
        case
            when metric in ({{ quoted_list(additive) }}) then target_value * days_elapsed / days_in_period
            else target_value
        end                           as expected_to_date,
        case
            when days_elapsed = 0 then null
            when metric in ({{ quoted_list(additive) }}) then actual_value / days_elapsed * days_in_period
            else actual_value
        end                           as projected_value
    from actuals
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
    days_elapsed,
    days_in_period,
    expected_to_date,
    projected_value,
    case
        when days_elapsed = 0 then 'not_started'
        when actual_value is null then 'no_data'
        when is_running and direction = 'at_least' and projected_value >= target_value then 'on_track'
        when is_running and direction = 'at_most' and projected_value <= target_value then 'on_track'
        when is_running then 'at_risk'
        when direction = 'at_least' and actual_value >= target_value then 'met'
        when direction = 'at_most' and actual_value <= target_value then 'met'
        else 'not_met'
    end                                           as status,
    data_until,
    note
from paced
order by period_start, target_id
{%- endmacro %}
