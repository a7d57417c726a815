-- Meta insights renamed and cast to the project's vocabulary; one row per raw row.
select
    cast(date as date)                as date_day,
    'meta'                            as channel,
    account_id,
    campaign_id,
    campaign_name,
    ad_id,
    level                             as insights_level,
    upper(account_currency)           as currency,
    cast(spend as decimal(18, 2))     as spend,
    impressions,
    reach,
    clicks,
    inline_link_clicks                as link_clicks,
    actions,
    action_values
from {{ source('raw', 'meta_ads_insights') }}
