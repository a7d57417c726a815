{#- Run at the end of every dbt build, beside create_roi_window_macros: the table macros that give
    the figures of any window of days with the marts' own definitions, so a report for a month
    reads that month only, e.g.
    select * from marts.unmatched_campaigns_between('2026-11-01', '2026-11-30');
    select * from marts.kpi_progress_until('2026-11-30'); -#}
{% macro create_report_window_macros() -%}
    {%- set relations = {'ga4_traffic_by_campaign': 'marts.ga4_traffic_by_campaign', 'cost_daily': 'marts.cost_daily', 'conversions_daily': 'marts.conversions_daily', 'int_campaign_name_keys': 'intermediate.int_campaign_name_keys', 'engagement_daily': 'marts.engagement_daily', 'conversions_by_goal': 'marts.conversions_by_goal', 'campaigns': 'intermediate.int_ad_campaigns', 'audience_daily': 'marts.audience_daily'} -%}
    {#- Only after a build in which every model succeeded: otherwise a mart may be missing. -#}
    {%- if execute and (results | selectattr('status', 'in', ['error', 'fail']) | list | length) == 0 %}
    create or replace macro marts.unmatched_campaigns_between(start_date, end_date) as table
        {{ unmatched_query('start_date', 'end_date', relations) }};
    {#- each network's organic audience over a window, by the audience macros (the KPI targets' and
        follower_growth_monthly's definitions), with the snapshot its counts rest on: the first
        taken on or after the window's eve, else the last before #}
    create or replace macro marts.audience_between(start_date, end_date) as table
        with windows as (
            select
                'window' as window_key, cast(start_date as date) as window_start,
                cast(end_date as date) as window_end, cast(null as varchar) as scope
        ),
        by_account as (
            {{ audience_by_account('windows', relations['audience_daily']) }}
        ),
        totals as (
            {{ audience_totals('by_account', ['window_key', 'network']) }}
        ),
        anchors as (
            select
                network,
                coalesce(
                    min(date_day) filter (where date_day >= cast(start_date as date) - 1), max(date_day)
                ) as snapshot_day
            from staging.stg_follower_snapshots
            group by network
        )
        select
            t.* exclude (window_key),
            case when t.followers_basis <> 'platform_daily_total' then a.snapshot_day end as snapshot_day,
            {{ audience_ratios() }}
        from totals as t
        left join anchors as a using (network);
    {#- the targets as the model checked them; measured as of `as_of` instead of the last loaded day #}
    create or replace macro marts.kpi_progress_until(as_of) as table
        with checked as (
            select
                target_id, metric, nullif(channel, 'all channels') as channel, campaign_id,
                period_start, period_end, target_value, direction, note
            from marts.kpi_progress
        ),
        {{ kpi_measured('checked', 'as_of', relations) }};
    {%- endif %}
{%- endmacro %}
