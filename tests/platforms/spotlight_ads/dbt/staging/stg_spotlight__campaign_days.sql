-- Spotlight's campaign days renamed and cast to the vocabulary every ad platform's staging shares.
-- Spotlight reports in the account's currency, on UTC days, with no objective.
select
    cast(date as date)                     as date_day,
    'spotlight'                            as channel,
    account_id,
    campaign_id,
    campaign_name,
    cast(null as varchar)                  as objective,
    upper(currency)                        as currency,
    'UTC'                                  as time_zone,
    cast(spend as decimal(18, 2))          as spend,
    impressions,
    clicks,
    purchases,
    cast(purchase_value as decimal(18, 2)) as purchase_value
from {{ source('raw', 'spotlight_campaign_days') }}
