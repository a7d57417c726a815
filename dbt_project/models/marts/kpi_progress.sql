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
{%- set metrics = kpi_metrics() %}
{%- set organic_metrics = kpi_organic_metrics() %}
{%- set networks = ['facebook', 'instagram', 'linkedin'] %}
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
{{ kpi_measured('checked', "'2999-12-31'", roi_marts_as_refs()) }}
