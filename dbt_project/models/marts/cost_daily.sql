{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- What each campaign cost per day: media spend in the account currency and in the reporting
-- currency, plus the non-media costs the ledger allocates to it. Rows with campaign_id null hold
-- channel costs that no campaign's spend could carry that day.
with campaign_days as (
    select * from {{ ref('int_campaign_day') }}
),

rates as (
    {{ reporting_rates('campaign_days') }}
),

media as (
    select
        c.date_day, c.channel, c.account_id, c.campaign_id, 'paid' as media_type, c.campaign_name, c.currency,
        c.time_zone,
        c.spend, cast(round(c.spend * r.rate_to_reporting, 2) as decimal(18, 2)) as spend_reporting,
        c.impressions, c.clicks, c.link_clicks
    from campaign_days as c
    join rates as r on r.currency = c.currency and r.date_day = c.date_day
),

other as (
    select
        date_day, channel, account_id, campaign_id, media_type,
        cast(round(sum(amount_reporting), 2) as decimal(18, 2)) as other_costs_reporting,
        cast(round(sum(amount_reporting) filter (where category = 'staff_time'), 2) as decimal(18, 2))
            as staff_time_reporting
    from {{ ref('int_other_costs_daily') }}
    group by all
)

select
    date_day,
    channel,
    coalesce(m.account_id, o.account_id)                          as account_id,
    coalesce(m.campaign_id, o.campaign_id)                        as campaign_id,
    media_type,
    m.campaign_name,
    m.currency,
    m.time_zone,
    '{{ var("reporting_currency") | upper }}'                     as reporting_currency,
    coalesce(m.spend, 0)                                          as spend,
    coalesce(m.spend_reporting, 0)                                as spend_reporting,
    coalesce(o.other_costs_reporting, 0)                          as other_costs_reporting,
    coalesce(o.staff_time_reporting, 0)                           as staff_time_reporting,
    coalesce(m.spend_reporting, 0) + coalesce(o.other_costs_reporting, 0) as total_cost_reporting,
    coalesce(m.impressions, 0)                                    as impressions,
    coalesce(m.clicks, 0)                                         as clicks,
    coalesce(m.link_clicks, 0)                                    as link_clicks,
    m.spend_reporting / nullif(m.link_clicks, 0)                  as cpc_link_reporting,
    m.spend_reporting / nullif(m.impressions, 0) * 1000           as cpm_reporting
from media as m
full outer join other as o using (date_day, channel, account_id, campaign_id, media_type)
