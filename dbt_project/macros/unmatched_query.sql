{#- What matched nothing over a window of days: one definition for the lifetime mart
    (marts.unmatched_campaigns) and the table macro a report reads for its own period
    (marts.unmatched_campaigns_between(start, end)), so that a report for November never lists
    December's spend.

    Ad spend with no GA4-tracked traffic, and GA4 revenue under a campaign tag no ad campaign
    claims. Spend whose campaign name normalises to the same key as another campaign's of its
    channel is listed as `campaign_name_not_unique`: traffic tagged with that name cannot tell the
    two apart (a campaign_mapping row can). A campaign whose traffic is tracked on some days of the
    window but not on others (days with link clicks and no matched session: an ad set or creative
    without tags) is listed as `partly_tagged`, with the spend of those days and its share of the
    campaign's spend. Placeholder tags such as (organic), (direct), (referral) and (not set) are
    not campaigns and are left out. Spend rows carry the link clicks and the conversions the
    platform claims over the same days: clicks that reached a page GA4 never saw are a tracking
    problem (untagged or broken UTM links), whatever the campaign was bought for.

    start_date / end_date: SQL expressions; relations: mart name → relation. -#}
{% macro unmatched_query(start_date, end_date, relations) -%}
{%- set in_window = "date_day between cast(" ~ start_date ~ " as date) and cast(" ~ end_date ~ " as date)" -%}
with traffic as (
    select * from {{ relations['ga4_traffic_by_campaign'] }} where {{ in_window }}
),

costs as (
    select * from {{ relations['cost_daily'] }} where {{ in_window }}
),

claims as (
    select date_day, channel, campaign_id, sum(platform_conversions) as platform_conversions
    from {{ relations['conversions_daily'] }}
    where {{ in_window }} and media_type = 'paid' and campaign_id is not null
    group by all
),

tracked_days as (
    select distinct channel, campaign_id, date_day
    from traffic
    where campaign_id is not null and sessions > 0
),

matched_campaigns as (
    select distinct channel, campaign_id from tracked_days
),

name_collisions as (
    select distinct channel, campaign_id
    from {{ relations['int_campaign_name_keys'] }}
    where campaigns_with_key > 1
),

campaign_days as (
    select
        a.*,
        coalesce(c.platform_conversions, 0)                       as platform_conversions,
        m.campaign_id is not null                                 as is_matched,
        a.link_clicks > 0 and t.date_day is null                  as is_untagged_day
    from costs as a
    left join claims as c using (date_day, channel, campaign_id)
    left join matched_campaigns as m using (channel, campaign_id)
    left join tracked_days as t using (channel, campaign_id, date_day)
    where a.campaign_id is not null and a.spend > 0
),

spend_without_traffic as (
    select
        case
            when any_value(n.campaign_id) is not null then 'campaign_name_not_unique'
            else 'spend_without_tracked_traffic'
        end                                          as problem,
        d.channel,
        d.account_id,
        d.campaign_id,
        arg_max(d.campaign_name, d.date_day)         as campaign_or_utm,
        d.currency,
        min(d.date_day)                              as first_day,
        max(d.date_day)                              as last_day,
        sum(d.spend)                                 as spend,
        sum(d.spend_reporting)                       as spend_reporting,
        cast(1 as double)                            as untagged_spend_share,
        sum(d.link_clicks)                           as link_clicks,
        sum(d.platform_conversions)                  as platform_conversions,
        cast(0 as bigint)                            as sessions,
        cast(0 as decimal(18, 2))                    as revenue
    from campaign_days as d
    left join name_collisions as n on n.channel = d.channel and n.campaign_id = d.campaign_id
    where not d.is_matched
    group by d.channel, d.account_id, d.campaign_id, d.currency
),

partly_tagged as (
    select
        'partly_tagged'                                                       as problem,
        channel,
        account_id,
        campaign_id,
        arg_max(campaign_name, date_day)                                      as campaign_or_utm,
        currency,
        min(date_day) filter (where is_untagged_day)                          as first_day,
        max(date_day) filter (where is_untagged_day)                          as last_day,
        sum(spend) filter (where is_untagged_day)                             as spend,
        sum(spend_reporting) filter (where is_untagged_day)                   as spend_reporting,
        cast(sum(spend) filter (where is_untagged_day) / sum(spend) as double) as untagged_spend_share,
        sum(link_clicks) filter (where is_untagged_day)                       as link_clicks,
        sum(platform_conversions) filter (where is_untagged_day)              as platform_conversions,
        cast(0 as bigint)                                                     as sessions,
        cast(0 as decimal(18, 2))                                             as revenue
    from campaign_days
    where is_matched
    group by channel, account_id, campaign_id, currency
    having bool_or(is_untagged_day)
),

revenue_without_campaign as (
    select
        'revenue_without_known_campaign' as problem,
        channel,
        null                             as account_id,
        null                             as campaign_id,
        utm_campaign                     as campaign_or_utm,
        currency,
        min(date_day)                    as first_day,
        max(date_day)                    as last_day,
        cast(0 as decimal(18, 2))        as spend,
        cast(0 as decimal(18, 2))        as spend_reporting,
        cast(null as double)             as untagged_spend_share,
        cast(0 as hugeint)               as link_clicks,
        cast(0 as double)                as platform_conversions,
        sum(sessions)                    as sessions,
        sum(revenue)                     as revenue
    from traffic
    where
        campaign_id is null
        and organic_campaign_id is null  -- organic traffic naming a campaign is shown beside it
        and utm_campaign is not null
        and not starts_with(utm_campaign, '(')
    group by channel, utm_campaign, currency
)

select * from spend_without_traffic
union all by name
select * from partly_tagged
union all by name
select * from revenue_without_campaign
{%- endmacro %}

{% macro unmatched_marts_as_refs() -%}
    {{ return({'ga4_traffic_by_campaign': ref('ga4_traffic_by_campaign'), 'cost_daily': ref('cost_daily'), 'conversions_daily': ref('conversions_daily'), 'int_campaign_name_keys': ref('int_campaign_name_keys')}) }}
{%- endmacro %}
