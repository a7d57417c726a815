-- GA4 traffic renamed and cast; one row per raw row. Source and medium lower-cased and trimmed
-- for matching, the values as GA4 sent them kept beside.
select
    cast(date as date)                         as date_day,
    property_id,
    lower(trim(session_source))                as source,
    lower(trim(session_medium))                as medium,
    session_source                             as source_as_sent,
    session_medium                             as medium_as_sent,
    session_campaign_name                      as utm_campaign,
    {{ normalize_utm('session_campaign_name') }} as utm_campaign_key,
    session_campaign_id                        as utm_id,
    session_default_channel_group              as ga4_channel_group,
    sessions,
    total_users,
    engaged_sessions,
    key_events,
    cast(purchase_revenue as decimal(18, 2))   as purchase_revenue,
    cast(total_revenue as decimal(18, 2))      as total_revenue,
    transactions,
    upper(currency)                            as currency,
    time_zone,
    -- NULL in rows landed before the connector stored the flags: not known to be incomplete
    coalesce(subject_to_thresholding, false)   as subject_to_thresholding,
    coalesce(data_loss_from_other_row, false)  as data_loss_from_other_row
from {{ source('raw', 'ga4_traffic') }}
