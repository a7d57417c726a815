-- GA4 key events per event name renamed and cast, keyed like stg_ga4__traffic so that each row
-- meets the traffic row (and so the channel and campaign) it belongs to.
select
    cast(date as date)                         as date_day,
    property_id,
    session_source                             as source_as_sent,
    session_medium                             as medium_as_sent,
    session_campaign_name                      as utm_campaign,
    session_campaign_id                        as utm_id,
    event_name,
    key_events,
    cast(event_value as decimal(18, 2))        as event_value,
    upper(currency)                            as currency,
    time_zone,
    -- NULL in rows landed before the connector stored the flags: not known to be incomplete
    coalesce(subject_to_thresholding, false)   as subject_to_thresholding,
    coalesce(data_loss_from_other_row, false)  as data_loss_from_other_row
from {{ source('raw', 'ga4_key_events') }}
