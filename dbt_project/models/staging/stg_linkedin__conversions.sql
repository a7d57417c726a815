-- LinkedIn website conversions per conversion rule renamed and cast; one row per raw row.
select
    cast(date as date)                              as date_day,
    'linkedin'                                      as channel,
    account_id,
    campaign_id,
    conversion_id,
    conversion_name,
    upper(conversion_type)                          as conversion_type,
    conversions,
    post_click_conversions,
    post_view_conversions,
    cast(conversion_value as decimal(18, 2))        as conversion_value,
    upper(currency)                                 as currency
from {{ source('raw', 'linkedin_ads_conversions') }}
