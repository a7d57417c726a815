{{ config(materialized='table') }}
-- depends_on: {{ ref('cost_daily') }}, {{ ref('conversions_daily') }}, {{ ref('engagement_daily') }}
-- depends_on: {{ ref('conversions_by_goal') }}, {{ ref('int_ad_campaigns') }}, {{ ref('audience_daily') }}
-- Actual against the targets agreed with management (config/kpi_targets.csv, or the file named by
-- SOCIAL_ROI_KPI_TARGETS): one row per target, the actual computed from the marts over the
-- target's own period, channel and campaign with the same definitions as the ROI tables. A row
-- that cannot be measured honestly (unknown channel or campaign, a repeated target_id, a metric
-- that makes no sense over all channels) stops the build naming the row. A period still running
-- is paced: what the target expects by the last loaded day, and where the current pace ends.
{%- set targets_file = env_var('SOCIAL_ROI_KPI_TARGETS', '../config/kpi_targets.csv') %}
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
{#- The organic audience's metrics, measured on marts.audience_daily: over the target's channel, or one
    network (facebook, instagram, linkedin), or every organic account. Follower growth compares the
    followers at the end of the period's eve with those at its last loaded day; the engagement rate
    by followers is Σ engagements / Σ followers over the period's days (each day's rate, weighted
    by its followers). -#}
{%- set organic_metrics = ['follower_growth', 'net_follower_growth', 'engagement_rate_by_followers'] %}
{%- set networks = ['facebook', 'instagram', 'linkedin'] %}
{#- Metrics that add up over days: pacing scales the target with the share of the period elapsed.
    The others are ratios, whose expected value to date is the target itself. -#}
{%- set additive = [
    'spend', 'total_cost', 'revenue', 'return_value', 'ga4_revenue', 'ga4_key_events', 'ga4_sessions',
    'platform_conversions', 'follower_growth', 'net_follower_growth'
] %}
{#- Metrics that set ad spend or a platform's own claims against something every channel shares:
    over all channels they would divide the whole site's revenue by ad spend, or add up different
    platforms' conversion definitions. They need a channel or a campaign. (ga4_revenue over all
    channels is the site's revenue, and fine.) -#}
{%- set need_a_scope = ['roas', 'roi', 'cpa_ga4_key_event', 'cpl', 'platform_conversions'] %}
with targets as (
    select *
    from read_csv({{ sql_string(targets_file) }}, header = true, columns = {
        'target_id': 'VARCHAR', 'metric': 'VARCHAR', 'channel': 'VARCHAR', 'campaign_id': 'VARCHAR',
        'period_start': 'DATE', 'period_end': 'DATE', 'target_value': 'DOUBLE', 'direction': 'VARCHAR',
        'note': 'VARCHAR'
    })
),

known_channels as (
    {{ known_channels() }}
),

problems as (
    select
        t.*,
        case
            when t.target_id is null then 'target_id is empty'
            when count(*) over (partition by t.target_id) > 1
                then 'target_id appears ' || count(*) over (partition by t.target_id) || ' times'
            when t.metric is null or t.metric not in ({{ quoted_list(metrics.keys() | list) }})
                then 'metric ' || coalesce('''' || t.metric || '''', 'is empty')
                || ' is not one of {{ metrics.keys() | join(", ") }}'
            when t.period_start is null or t.period_end is null then 'period_start and period_end are required'
            when t.period_end < t.period_start then 'period_end is before period_start'
            when coalesce(t.direction, '') not in ('at_least', 'at_most') then 'direction must be at_least or at_most'
            when
                t.metric in ({{ quoted_list(organic_metrics) }}) and t.channel is not null
                and lower(trim(t.channel)) not in ({{ quoted_list(ad_channels() + networks) }})
                then t.metric || ' is measured on the organic pages: channel must be one of '
                || '{{ (ad_channels() + networks) | join(", ") }}, or empty for every organic account'
            when t.metric in ({{ quoted_list(organic_metrics) }}) and t.campaign_id is not null
                then t.metric || ' is measured on the organic pages, not on a campaign: leave campaign_id empty'
            when
                t.channel is not null and t.metric not in ({{ quoted_list(organic_metrics) }})
                and lower(trim(t.channel)) not in (select kc.channel from known_channels as kc)
                then 'channel ''' || t.channel || ''' is unknown: use one of '
                || (select string_agg(kc.channel, ', ' order by kc.channel) from known_channels as kc)
                || ', or leave it empty for all channels'
            when
                t.campaign_id is not null
                and trim(t.campaign_id) not in (select ac.campaign_id from {{ ref('int_ad_campaigns') }} as ac)
                then 'campaign_id ' || t.campaign_id
                || ' is not a campaign in the warehouse (marts.roi_by_campaign lists them)'
            when t.channel is null and t.campaign_id is null and t.metric in ({{ quoted_list(need_a_scope) }})
                then t.metric || ' needs a channel or a campaign: over all channels it would set the whole'
                || ' site''s traffic, or several platforms'' own counts, against ad spend'
        end as problem
    from targets as t
),

problem_listing as (
    -- every bad row in one message, so that one run names all there is to fix
    select string_agg(distinct 'KPI target ' || coalesce(target_id, '?') || ': ' || problem, '; ') as listing
    from problems
    where problem is not null
),

checked as (
    select
        * exclude (problem, channel, campaign_id) replace (
            case
                when (select pl.listing from problem_listing as pl) is not null
                    then error(
                        (select pl.listing from problem_listing as pl)
                        || ' (in ' || {{ sql_string(targets_file) }} || '). Fix the rows and re-run.'
                    )
                else metric
            end as metric
        ),
        lower(trim(channel)) as channel,
        trim(campaign_id) as campaign_id
    from problems
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
        coalesce(sum(f.leads_ga4), 0)                 as leads_ga4,
        coalesce(sum(f.valued_conversions_value), 0)  as valued_conversions_value,
        max(f.date_day)                               as data_until
    from checked as t
    left join facts as f
        on  f.date_day between t.period_start and t.period_end
        and (t.channel is null or f.channel = t.channel)
        and (t.campaign_id is null or f.campaign_id = t.campaign_id)
        -- a channel's or campaign's target measures what was bought; over all channels, everything
        and (t.channel is null and t.campaign_id is null or f.media_type <> 'organic')
        -- the organic pages' own engagement is for the organic metrics below
        and f.organic_audience is null
    group by t.target_id
),

organic_per_account as (
    select
        t.target_id,
        a.network,
        a.account_id,
        max(a.followers) filter (where a.date_day = t.period_start - 1)                             as followers_start,
        arg_max_null(a.followers, a.date_day) filter (where a.date_day between t.period_start and t.period_end)
            as followers_end,
        sum(a.engagements) filter (
            where a.date_day between t.period_start and t.period_end and a.followers is not null
        )                                                                                            as engagements,
        sum(a.followers) filter (
            where a.date_day between t.period_start and t.period_end and a.engagements is not null
        )                                                                                            as follower_days,
        max(a.date_day) filter (where a.date_day between t.period_start and t.period_end)          as data_until
    from checked as t
    inner join {{ ref('audience_daily') }} as a
        on  (t.channel is null or a.channel = t.channel or a.network = t.channel)
        -- only the accounts the period holds: a Page dropped from the settings before it is not missing
        and a.date_day between t.period_start - 1 and t.period_end
    where t.metric in ({{ quoted_list(organic_metrics) }})
    group by t.target_id, a.network, a.account_id
),

organic_sums as (
    -- all accounts of the scope together, and only when every one of them has the day
    select
        target_id,
        case when count(followers_start) = count(*) then sum(followers_start) end as followers_start,
        case when count(followers_end) = count(*) then sum(followers_end) end     as followers_end,
        sum(engagements)                                                          as organic_engagements,
        sum(follower_days)                                                        as follower_days,
        max(data_until)                                                           as organic_data_until
    from organic_per_account
    group by target_id
),

last_loaded as (
    -- the last day the warehouse holds for any channel: how far a running period has got
    select max(date_day) as last_day from facts
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
    from checked as t
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
