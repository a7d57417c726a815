{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'cost_daily'}}}) }}
-- An asset check of cost_daily in Dagster (it also reads ga4_traffic_by_campaign).
-- Share of each channel's spend (reporting currency, built window) on campaigns with no GA4
-- traffic matched to them. Above the `max_untracked_spend_share` var the warning fires: tagging
-- is broken somewhere, and ROI on GA4 revenue understates that channel.
with spend as (
    select c.channel, c.campaign_id, sum(c.spend_reporting) as spend
    from {{ ref('cost_daily') }} as c
    where {{ in_date_window('c.date_day') }} and c.campaign_id is not null
    group by all
),

tracked as (
    select distinct channel, campaign_id
    from {{ ref('conversions_daily') }}
    where {{ in_date_window('date_day') }} and ga4_sessions > 0 and campaign_id is not null
)

select
    s.channel,
    sum(s.spend) filter (where t.campaign_id is null) / nullif(sum(s.spend), 0) as untracked_share
from spend as s
left join tracked as t using (channel, campaign_id)
group by s.channel
having
    sum(s.spend) filter (where t.campaign_id is null) / nullif(sum(s.spend), 0)
    > {{ var('max_untracked_spend_share') }}
