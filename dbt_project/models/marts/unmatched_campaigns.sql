{{ config(materialized='table') }}
-- What matched nothing, over every day loaded: ad spend with no GA4-tracked traffic, and GA4
-- revenue under a campaign tag no ad campaign claims. Spend whose campaign name normalises to the
-- same key as another campaign's of its channel is listed as `campaign_name_not_unique`: traffic
-- tagged with that name cannot tell the two apart (a campaign_mapping row can). A campaign whose
-- traffic is tracked on some days but not on others (days with link clicks and no matched session:
-- an ad set or creative without tags) is listed as `partly_tagged`, with the spend of those days
-- and its share of the campaign's spend. Placeholder tags such as (organic), (direct), (referral)
-- and (not set) are not campaigns and are left out.
with tracked_days as (
    select distinct channel, campaign_id, date_day
    from {{ ref('ga4_traffic_by_campaign') }}
    where campaign_id is not null and sessions > 0
),

matched_campaigns as (
    select distinct channel, campaign_id from tracked_days
),

name_collisions as (
    select distinct channel, campaign_id
    from {{ ref('int_campaign_name_keys') }}
    where campaigns_with_key > 1
),

spend_without_traffic as (
    select
        case
            when any_value(n.campaign_id) is not null then 'campaign_name_not_unique'
            else 'spend_without_tracked_traffic'
        end                              as problem,
        a.channel,
        a.account_id,
        a.campaign_id,
        arg_max(a.campaign_name, a.date_day) as campaign_or_utm,
        a.currency,
        min(a.date_day)                  as first_day,
        max(a.date_day)                  as last_day,
        sum(a.spend)                     as spend,
        cast(1 as double)                as untagged_spend_share,
        cast(0 as bigint)                as sessions,
        cast(0 as decimal(18, 2))        as revenue
    from {{ ref('cost_daily') }} as a
    anti join matched_campaigns using (channel, campaign_id)
    left join name_collisions as n on n.channel = a.channel and n.campaign_id = a.campaign_id
    where a.campaign_id is not null
    group by a.channel, a.account_id, a.campaign_id, a.currency
    having sum(a.spend) > 0
),

campaign_days as (
    select
        a.*,
        a.link_clicks > 0 and t.date_day is null as is_untagged_day
    from {{ ref('cost_daily') }} as a
    semi join matched_campaigns using (channel, campaign_id)
    left join tracked_days as t using (channel, campaign_id, date_day)
    where a.spend > 0
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
        cast(sum(spend) filter (where is_untagged_day) / sum(spend) as double) as untagged_spend_share,
        cast(0 as bigint)                                                     as sessions,
        cast(0 as decimal(18, 2))                                             as revenue
    from campaign_days
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
        cast(null as double)             as untagged_spend_share,
        sum(sessions)                    as sessions,
        sum(revenue)                     as revenue
    from {{ ref('ga4_traffic_by_campaign') }}
    where
        campaign_id is null
        and organic_campaign_id is null  -- organic traffic naming a campaign is shown beside it
        and utm_campaign is not null
        and not starts_with(utm_campaign, '(')
    group by channel, utm_campaign, currency
)

select * from spend_without_traffic
union all
select * from partly_tagged
union all
select * from revenue_without_campaign
