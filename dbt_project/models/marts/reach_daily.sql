{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- Impressions, reach and frequency per campaign and day. Reach counts unique people: it is the
-- platform's own figure for that campaign and day and must not be added across days, campaigns
-- or channels (the sum is only an upper bound of the people reached). NULL where unknown.
select
    date_day, channel, account_id, campaign_id, campaign_name,
    impressions,
    reach                                    as reach_daily,
    impressions / nullif(reach, 0)           as frequency_daily
from {{ ref('int_campaign_day') }}
