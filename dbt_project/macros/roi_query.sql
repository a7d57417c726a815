{#- ROI for one grain, from the four daily marts. One definition serves the materialized tables
    (lifetime and monthly, per campaign and per channel) and the table macros that give any
    window (`marts.roi_by_campaign_between(start, end)`).

    level: 'campaign', 'channel' (× media type) or 'social' (the social channels' totals);
    by_month: group by calendar month or over the whole window;
    start_date / end_date: SQL expressions (literals or macro parameter names);
    marts: mapping of mart name → relation (refs in models, plain names in hooks).
    Every ratio is a sum divided by a sum at this grain; a zero denominator gives NULL. -#}
{% macro roi_query(level, by_month, start_date, end_date, marts) -%}
{#- A campaign is bought media: its GA4 figures are its paid traffic's, and organic traffic tagged
    with it stands beside them (organic_*). A channel has a row per media type: paid and organic
    apart, never mixed. -#}
{%- set keys = {'campaign': ['channel', 'account_id', 'campaign_id'], 'channel': ['channel', 'media_type'], 'social': ['scope']}[level] -%}
{%- set paid_only = " filter (where media_type <> 'organic')" if level == 'campaign' else "" -%}
{%- set period = "cast(date_trunc('month', date_day) as date)" if by_month else "cast(null as date)" -%}
{%- set revenue = 'ga4_revenue' if var('revenue_source') == 'ga4' else 'platform_conversion_value' -%}
{%- set margin = var('gross_margin') -%}
{#- (`is mapping`: SQL linting renders vars as placeholders, not the dict dbt passes) -#}
{%- set windows = var('restatement_days') if var('restatement_days') is mapping else {} -%}
{%- set web_window = windows.get('ga4', 0) -%}
{#- Spend that no GA4 session ever followed (untagged ads): its GA4 return is unknown, not zero. -#}
{%- set formula = roi_formulas() -%}
{%- set untracked = formula['untracked'] -%}
with facts as (
    {{ roi_facts(marts) }}
),

last_loaded as (
    select max(date_day) as last_day from facts
),

windowed as (
    {%- if level == 'social' %}
    {#- The social channels' totals, so nobody sums roi_by_channel by hand and mixes in direct,
        search or email: everything they bought, and everything they brought, paid and organic. #}
    select *, {{ period }} as period_month, 'all paid social' as scope
    from facts
    where
        date_day between cast({{ start_date }} as date) and cast({{ end_date }} as date)
        and channel in ({{ quoted_list(ad_channels()) }}) and media_type = 'paid'
    union all
    select *, {{ period }} as period_month, 'all social' as scope
    from facts
    where
        date_day between cast({{ start_date }} as date) and cast({{ end_date }} as date)
        and channel in ({{ quoted_list(ad_channels()) }})
        -- organic engagement stands on the channels' organic rows only: set against ad impressions it would
        -- inflate the engagement rate
        and organic_audience is null
    {%- else %}
    select *, {{ period }} as period_month
    from facts
    where date_day between cast({{ start_date }} as date) and cast({{ end_date }} as date)
    {%- if level == 'campaign' %}
      and channel in ({{ quoted_list(ad_channels()) }})
      and organic_audience is null
    {%- endif %}
    {%- endif %}
),

sums as (
    select
        {{ keys | join(', ') }},
        period_month,
        {%- if level == 'campaign' %}
        coalesce(arg_max(campaign_name, date_day) filter (where campaign_name is not null), '(no campaign: unallocated costs, unmatched traffic)') as campaign_name,
        {%- else %}
        count(distinct campaign_id) filter (where spend > 0)      as campaigns,
        {%- endif %}
        min(date_day)                                              as first_day,
        max(date_day)                                              as last_day,
        coalesce(sum(spend), 0)                                    as spend,
        coalesce(sum(other_costs), 0)                              as other_costs,
        coalesce(sum(total_cost), 0)                               as total_cost,
        coalesce(sum(impressions), 0)                              as impressions,
        coalesce(sum(clicks), 0)                                   as clicks,
        coalesce(sum(link_clicks), 0)                              as link_clicks,
        coalesce(sum(platform_conversions), 0)                     as platform_conversions,
        coalesce(sum(platform_conversion_value), 0)                as platform_conversion_value,
        coalesce(sum(platform_only_conversions), 0)                as platform_only_conversions,
        coalesce(sum(platform_only_conversion_value), 0)           as platform_only_conversion_value,
        coalesce(sum(ga4_sessions){{ paid_only }}, 0)              as ga4_sessions,
        coalesce(sum(ga4_key_events){{ paid_only }}, 0)            as ga4_key_events,
        coalesce(sum(ga4_revenue){{ paid_only }}, 0)               as ga4_revenue,
        coalesce(sum(purchase_revenue){{ paid_only }}, 0)          as purchase_revenue,
        {%- if level == 'campaign' %}
        coalesce(sum(ga4_sessions) filter (where media_type = 'organic'), 0)   as organic_sessions,
        coalesce(sum(ga4_key_events) filter (where media_type = 'organic'), 0) as organic_key_events,
        coalesce(sum(ga4_revenue) filter (where media_type = 'organic'), 0)    as organic_revenue,
        {%- endif %}
        {%- for plural in reported_goals().values() %}
        coalesce(sum({{ plural }}_claimed), 0)                     as {{ plural }}_claimed,
        coalesce(sum({{ plural }}_claimed_on_platform), 0)         as {{ plural }}_claimed_on_platform,
        coalesce(sum({{ plural }}_ga4){{ paid_only }}, 0)          as {{ plural }}_ga4,
        {%- endfor %}
        coalesce(sum(valued_conversions_value){{ paid_only }}, 0)  as valued_conversions_value,
        coalesce(sum(engagements), 0)                              as engagements,
        sum(reach_daily)                                           as reach_sum_of_daily_upper_bound,
        -- days the platforms (an ad channel's own, or GA4's for its traffic) may still restate
        count(distinct date_day) filter (
            where date_day > (select ll.last_day from last_loaded as ll) - case channel
                {%- for channel in ad_channels() %}
                when '{{ channel }}' then {{ [windows.get(channel, 0), web_window] | max }}
                {%- endfor %}
                else {{ web_window }}
            end
        )                                                          as provisional_days,
        -- the zones whose days the row counts: ad accounts' and GA4 properties' (ledger costs have
        -- none; list_distinct drops the NULLs)
        list_sort(list_distinct(flatten(list(
            [account_time_zone] || coalesce(string_split(ga4_time_zone, ', '), [])
        ))))                                                       as zones
    from windowed
    group by {{ keys | join(', ') }}, period_month
){%- if by_month %},

loaded_days as (
    -- how many days of each month the warehouse holds, for any channel: a month with fewer is partial
    select {{ period }} as period_month, count(distinct date_day) as days_in_data
    from facts
    where date_day between cast({{ start_date }} as date) and cast({{ end_date }} as date)
    group by all
)
{%- endif %}

select
    {%- if by_month %}
    period_month                                                   as month,
    days_in_data,
    days_in_data < day(last_day(period_month))                     as is_partial_month,
    {%- endif %}
    {{ keys | join(', ') }},
    {%- if level == 'campaign' %}
    campaign_name,
    -- how the campaign is judged: awareness on CPM, reach and engagement, not on ROI
    ac.objective,
    coalesce(ac.verdict_basis, 'conversion')                       as verdict_basis,
    coalesce(ac.primary_kpi, 'roi')                                as primary_kpi,
    {%- else %}
    campaigns,
    {%- endif %}
    first_day,
    last_day,
    provisional_days,
    provisional_days > 0                                           as is_provisional,
    array_to_string(zones, ', ')                                   as time_zones,
    case when len(zones) > 1 then
        'Days are counted in ' || len(zones) || ' time zones (' || array_to_string(zones, ', ')
        || '): cost and traffic near midnight can fall on different dates, so days and months do not line up exactly.'
    end                                                            as time_zone_warning,
    '{{ var("reporting_currency") | upper }}'                      as reporting_currency,
    spend,
    other_costs,
    total_cost,
    platform_conversions,
    platform_conversion_value,
    platform_only_conversions,
    platform_only_conversion_value,
    ga4_sessions,
    ga4_key_events,
    ga4_revenue,
    {%- if level == 'campaign' %}
    organic_sessions,
    organic_key_events,
    organic_revenue,
    {%- endif %}
    '{{ var("revenue_source") }}'                                  as revenue_source,
    '{{ var("revenue_vat") }}'                                     as revenue_vat,
    {{ revenue }}                                                  as revenue,
    purchase_revenue,
    valued_conversions_value,
    {{ formula['return_value'] }}                       as return_value,
    {{ formula['roas'] }}                               as roas,
    -- No tracked traffic at all: a return of 0 would be an artefact of missing tags, not a loss
    case when {{ untracked }} then 'no_tracked_traffic' end       as roi_null_reason,
    {{ formula['roi'] }}                                                            as roi,
    -- the same on revenue alone: what was observed, without the agreed values of conversions
    {{ formula['roi_on_revenue'] }}                                                            as roi_on_revenue,
    platform_conversion_value / nullif(spend, 0)                   as roas_platform_claimed,
    ga4_revenue / nullif(spend, 0)                                 as roas_ga4_observed,
    -- NULL where nothing was bought or claimed (direct, search, email…): no claim to compare. Only
    -- claims made on the website are set against GA4: it never sees a lead form or a shop purchase.
    case
        when spend > 0 or platform_conversions > 0
            then (platform_conversions - platform_only_conversions) / nullif(ga4_key_events, 0)
    end                                                            as over_claim_ratio,
    {%- for goal, plural in reported_goals().items() %}
    {{ plural }}_claimed,
    {{ plural }}_claimed_on_platform,
    {{ plural }}_ga4,
    {{ formula['cost_per_' ~ goal] }} as {{ cost_per_goal_column(goal) }},
    case
        when spend > 0 or {{ plural }}_claimed > 0
            then ({{ plural }}_claimed - {{ plural }}_claimed_on_platform) / nullif({{ plural }}_ga4, 0)
    end                                                            as over_claim_ratio_{{ plural }},
    {%- endfor %}
    spend / nullif(platform_conversions, 0)                        as cpa_platform_claimed,
    {{ formula['cpa_ga4_key_event'] }}                              as cpa_ga4_key_event,
    {{ formula['cpc_link'] }}                                 as cpc_link,
    {{ formula['cpm'] }}                          as cpm,
    {{ formula['ctr_link'] }}                           as ctr_link,
    impressions,
    link_clicks,
    engagements,
    {{ formula['engagement_rate_by_impressions'] }}                           as engagement_rate_by_impressions,
    reach_sum_of_daily_upper_bound,
    {%- if margin != '' and margin is not none %}
    cast({{ margin }} as double)                                   as gross_margin,
    1 / cast({{ margin }} as double)                               as break_even_roas
    {%- else %}
    cast(null as double)                                           as gross_margin,
    cast(null as double)                                           as break_even_roas
    {%- endif %}
from sums
{%- if by_month %}
left join loaded_days using (period_month)
{%- endif %}
{%- if level == 'campaign' %}
left join (
    select channel, campaign_id, objective, verdict_basis, primary_kpi from {{ marts['campaigns'] }}
) as ac using (channel, campaign_id)
{%- endif %}
order by {% if by_month %}month, {% endif %}spend desc, {{ keys | join(', ') }}
{%- endmacro %}

{% macro roi_marts_as_refs() -%}
    {{ return({'cost_daily': ref('cost_daily'), 'conversions_daily': ref('conversions_daily'), 'engagement_daily': ref('engagement_daily'), 'conversions_by_goal': ref('conversions_by_goal'), 'campaigns': ref('int_ad_campaigns'), 'audience_daily': ref('audience_daily')}) }}
{%- endmacro %}

{#- Run at the end of every dbt build: table macros for any window, e.g.
    select * from marts.roi_by_campaign_between('2026-10-01', '2026-10-31'); -#}
{% macro create_roi_window_macros() -%}
    {%- set marts = {'cost_daily': 'marts.cost_daily', 'conversions_daily': 'marts.conversions_daily', 'engagement_daily': 'marts.engagement_daily', 'conversions_by_goal': 'marts.conversions_by_goal', 'campaigns': 'intermediate.int_ad_campaigns', 'audience_daily': 'marts.audience_daily'} -%}
    {#- Only after a build in which every model succeeded: otherwise a mart may be missing. -#}
    {%- if execute and (results | selectattr('status', 'in', ['error', 'fail']) | list | length) == 0 %}
    create or replace macro marts.roi_by_campaign_between(start_date, end_date) as table
        {{ roi_query('campaign', false, 'start_date', 'end_date', marts) }};
    create or replace macro marts.roi_by_channel_between(start_date, end_date) as table
        {{ roi_query('channel', false, 'start_date', 'end_date', marts) }};
    create or replace macro marts.roi_social_totals_between(start_date, end_date) as table
        {{ roi_query('social', false, 'start_date', 'end_date', marts) }};
    {%- endif %}
{%- endmacro %}

{#- Every daily money and volume figure of the marts at date × channel × media type × account ×
    campaign, one fact per row (union by name, so a figure a mart lacks is NULL there): summing a
    union never fans out the way joining the marts would. cost_daily and conversions_daily say
    their own media type; engagement is what the ads bought (`paid`); audience_daily is the organic
    pages' own reach and engagement (`organic_audience`), which only the channels' organic rows
    count. -#}
{% macro roi_facts(marts) -%}
{%- set bought = "case when channel in (" ~ quoted_list(ad_channels()) ~ ") then 'paid' else 'other' end" -%}
select date_day, channel, media_type, account_id, campaign_id, campaign_name,
       spend_reporting as spend, other_costs_reporting as other_costs, total_cost_reporting as total_cost,
       impressions, clicks, link_clicks, time_zone as account_time_zone
from {{ marts['cost_daily'] }}
union all by name
select date_day, channel, media_type, account_id, campaign_id,
       platform_conversions, platform_conversion_value_reporting as platform_conversion_value,
       ga4_sessions, ga4_key_events, ga4_revenue_reporting as ga4_revenue, account_time_zone, ga4_time_zone,
       ga4_purchase_revenue_reporting as purchase_revenue
from {{ marts['conversions_daily'] }}
union all by name
select date_day, channel, {{ bought }} as media_type, account_id, campaign_id, engagements, reach_daily
from {{ marts['engagement_daily'] }}
union all by name
select date_day, channel, media_type, account_id, campaign_id,
       {%- for goal, plural in reported_goals().items() %}
       case when goal = '{{ goal }}' then platform_conversions end as {{ plural }}_claimed,
       case when goal = '{{ goal }}' and counted_on = 'platform' then platform_conversions end
           as {{ plural }}_claimed_on_platform,
       case when goal = '{{ goal }}' then ga4_key_events end as {{ plural }}_ga4,
       {%- endfor %}
       -- lead forms and shop purchases on the platform: claims GA4 can never see
       case when counted_on = 'platform' then platform_conversions end as platform_only_conversions,
       case when counted_on = 'platform' then platform_conversion_value_reporting end
           as platform_only_conversion_value,
       valued_conversions_value_reporting as valued_conversions_value
from {{ marts['conversions_by_goal'] }}
union all by name
select date_day, channel, 'organic' as media_type, account_id, engagements, reach_daily,
       time_zone as account_time_zone, true as organic_audience
from {{ marts['audience_daily'] }}
{%- endmacro %}

{#- The goals the ROI tables show apart (column stem → goal), each with its cost per conversion.
    Every goal of config/conversion_goals.csv counts in `valued_conversions_value`. -#}
{% macro reported_goals() -%}
    {{ return({'purchase': 'purchases', 'lead': 'leads', 'sign_up': 'sign_ups', 'registration': 'registrations'}) }}
{%- endmacro %}

{#- The ROI tables' ratios as SQL over their sums (spend, total_cost, the revenue source's revenue,
    valued_conversions_value, ga4_sessions, the goals' counts…): one definition for roi_query and
    the KPI targets (kpi_metrics), so a target's ROI has the tables' NULL rules. Spend that no GA4
    session ever followed (untagged ads) has an unknown GA4 return, not a zero one: its ROI is NULL. -#}
{% macro roi_formulas() -%}
    {%- set revenue = 'ga4_revenue' if var('revenue_source') == 'ga4' else 'platform_conversion_value' -%}
    {%- set counted = 'ga4' if var('revenue_source') == 'ga4' else 'claimed' -%}
    {%- set untracked = "(spend > 0 and ga4_sessions = 0 and '" ~ var('revenue_source') ~ "' = 'ga4')" -%}
    {%- set formulas = {
        'untracked': untracked,
        'revenue': revenue,
        'return_value': revenue ~ ' + valued_conversions_value',
        'roas': revenue ~ ' / nullif(spend, 0)',
        'roi': 'case when not ' ~ untracked ~ ' then (' ~ revenue
            ~ ' + valued_conversions_value - total_cost) / nullif(total_cost, 0) end',
        'roi_on_revenue': 'case when not ' ~ untracked ~ ' then (' ~ revenue
            ~ ' - total_cost) / nullif(total_cost, 0) end',
        'cpa_ga4_key_event': 'spend / nullif(ga4_key_events, 0)',
        'cpc_link': 'spend / nullif(link_clicks, 0)',
        'cpm': 'spend / nullif(impressions, 0) * 1000',
        'ctr_link': 'link_clicks / nullif(impressions, 0)',
        'engagement_rate_by_impressions': 'engagements / nullif(impressions, 0)',
    } -%}
    {%- for goal, plural in reported_goals().items() -%}
        {%- do formulas.update({'cost_per_' ~ goal: 'spend / nullif(' ~ plural ~ '_' ~ counted ~ ', 0)'}) -%}
    {%- endfor -%}
    {{ return(formulas) }}
{%- endmacro %}

{% macro cost_per_goal_column(goal) -%}
    {{ return({'purchase': 'cpa_purchase', 'lead': 'cpl', 'sign_up': 'cost_per_sign_up', 'registration': 'cost_per_registration'}[goal]) }}
{%- endmacro %}
