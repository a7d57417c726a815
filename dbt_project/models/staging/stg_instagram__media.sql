-- Instagram media with their lifetime figures as of the latest fetch. A figure Instagram gave none for is NULL,
-- never 0: a metric the media product type has not (a story's likes), a metric refused for the item, and every
-- figure of media posted before the account became a business account (DECISIONLOG.md, "Missing organic
-- metrics are NULL").
select
    'instagram'               as network,
    'meta'                    as channel,
    account_id,
    media_id                  as post_id,
    cast(published_date as date) as published_date,
    published_at,
    permalink,
    caption                   as post_text,
    views,
    reach                     as lifetime_reach,
    likes                     as reactions,
    comments,
    shares,
    saves,
    cast(null as bigint)      as clicks,
    _loaded_at                as fetched_at
from {{ source('raw', 'instagram_media') }}
