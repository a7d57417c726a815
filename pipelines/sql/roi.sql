-- ROI per campaign and per channel, computed from sums over every day in the daily mart.
-- Ratios are sums divided by sums at the reported grain; a zero denominator gives NULL.
-- Money never mixes currencies: `currency` is part of both grains.
-- total_cost is media spend for now; non-media costs (staff time, tools, agency fees) join here.

create schema if not exists marts;

create or replace table marts.roi_by_campaign as
select
    channel,
    account_id,
    campaign_id,
    arg_max(campaign_name, date_day)                         as campaign_name,
    currency,
    min(date_day)                                            as first_day,
    max(date_day)                                            as last_day,
    sum(spend)                                               as spend,
    sum(spend)                                               as total_cost,
    sum(platform_conversions)                                as platform_conversions,
    sum(platform_conversion_value)                           as platform_conversion_value,
    'platform_claimed'                                       as revenue_basis,
    sum(platform_conversion_value)                           as revenue,
    sum(platform_conversion_value) / nullif(sum(spend), 0)   as roas,
    (sum(platform_conversion_value) - sum(spend)) / nullif(sum(spend), 0) as roi
from marts.ad_performance_daily
group by channel, account_id, campaign_id, currency
order by channel, account_id, campaign_id;

create or replace table marts.roi_by_channel as
select
    channel,
    currency,
    min(date_day)                                            as first_day,
    max(date_day)                                            as last_day,
    count(distinct campaign_id)                              as campaigns,
    sum(spend)                                               as spend,
    sum(spend)                                               as total_cost,
    sum(platform_conversions)                                as platform_conversions,
    sum(platform_conversion_value)                           as platform_conversion_value,
    'platform_claimed'                                       as revenue_basis,
    sum(platform_conversion_value)                           as revenue,
    sum(platform_conversion_value) / nullif(sum(spend), 0)   as roas,
    (sum(platform_conversion_value) - sum(spend)) / nullif(sum(spend), 0) as roi
from marts.ad_performance_daily
group by channel, currency
order by channel, currency;
