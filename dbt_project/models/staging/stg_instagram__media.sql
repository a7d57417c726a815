-- Instagram media with their lifetime figures as of the latest fetch, and the account's stories with their figures
-- as of the last time they were read while live (raw.instagram_stories keeps a story after it expires: Instagram
-- lists a story for 24 hours only; DECISIONLOG.md, "Instagram stories are kept once read"). A figure Instagram gave
-- none for is NULL, never 0: a metric the media product type has not (a story's likes, comments and saves), a
-- metric refused for the item, and every figure of media posted before the account became a business account
-- (DECISIONLOG.md, "Missing organic metrics are NULL").
with media as (
    select * from {{ source('raw', 'instagram_media') }}
    union all by name
    -- the `/media` edge lists no stories, so an id is in one table or the other
    select * from {{ source('raw', 'instagram_stories') }}
)

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
    media_product_type        as post_format,
    _loaded_at                as fetched_at
from media
