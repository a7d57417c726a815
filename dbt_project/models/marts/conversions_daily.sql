{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- Conversions per campaign and day: what the platform claims (its own attribution window, the
-- events the conversion goals name) beside what GA4 observed from the campaign's tagged traffic. Money in
-- the reporting currency too. Rows with campaign_id null hold GA4 traffic of the channel that
-- matched no campaign, so that channel totals stay complete. `media_type` keeps bought traffic
-- (and every platform claim: `paid`) apart from organic traffic, whose rows carry the campaign its
-- tag names without ever counting in that campaign's ROI.
with campaign_days as (
    select * from {{ ref('int_campaign_day') }}
),

ga4 as (
    select
        date_day, channel, account_id, media_type, currency, time_zone,
        coalesce(campaign_id, organic_campaign_id) as campaign_id,
        sum(sessions)   as ga4_sessions,
        sum(key_events) as ga4_key_events,
        sum(revenue)    as ga4_revenue,
        sum(purchase_revenue) as ga4_purchase_revenue
    from {{ ref('ga4_traffic_by_campaign') }}
    where {{ in_date_window('date_day') }}
    group by all
),

needed as (
    select currency, date_day from campaign_days
    union all
    select currency, date_day from ga4
),

rates as (
    {{ reporting_rates('needed') }}
),

claimed as (
    select
        c.date_day, c.channel, c.account_id, c.campaign_id, c.campaign_name, c.currency, c.time_zone,
        'paid' as media_type,
        c.link_clicks, c.conversions, c.conversion_value,
        cast(round(c.conversion_value * r.rate_to_reporting, 2) as decimal(18, 2)) as conversion_value_reporting
    from campaign_days as c
    join rates as r on r.currency = c.currency and r.date_day = c.date_day
),

observed as (
    select
        g.date_day, g.channel, g.account_id, g.campaign_id, g.media_type,
        string_agg(distinct g.time_zone, ', ' order by g.time_zone)          as ga4_time_zone,
        sum(g.ga4_sessions)                                                   as ga4_sessions,
        sum(g.ga4_key_events)                                                 as ga4_key_events,
        cast(round(sum(g.ga4_revenue * r.rate_to_reporting), 2) as decimal(18, 2)) as ga4_revenue_reporting,
        cast(round(sum(g.ga4_purchase_revenue * r.rate_to_reporting), 2) as decimal(18, 2))
            as ga4_purchase_revenue_reporting
    from ga4 as g
    join rates as r on r.currency = g.currency and r.date_day = g.date_day
    group by all
)

select
    date_day,
    channel,
    coalesce(c.account_id, o.account_id)                          as account_id,
    coalesce(c.campaign_id, o.campaign_id)                        as campaign_id,
    media_type,
    c.campaign_name,
    c.currency,
    c.time_zone                                                   as account_time_zone,
    o.ga4_time_zone,
    '{{ var("reporting_currency") | upper }}'                     as reporting_currency,
    coalesce(c.link_clicks, 0)                                    as link_clicks,
    coalesce(c.conversions, 0)                                    as platform_conversions,
    coalesce(c.conversion_value, 0)                               as platform_conversion_value,
    coalesce(c.conversion_value_reporting, 0)                     as platform_conversion_value_reporting,
    coalesce(o.ga4_sessions, 0)                                   as ga4_sessions,
    coalesce(o.ga4_key_events, 0)                                 as ga4_key_events,
    coalesce(o.ga4_revenue_reporting, 0)                          as ga4_revenue_reporting,
    coalesce(o.ga4_purchase_revenue_reporting, 0)                 as ga4_purchase_revenue_reporting,
    c.conversions / nullif(c.link_clicks, 0)                      as platform_conversions_per_link_click,
    o.ga4_key_events / nullif(o.ga4_sessions, 0)                  as ga4_key_events_per_session
from claimed as c
full outer join observed as o using (date_day, channel, account_id, campaign_id, media_type)
