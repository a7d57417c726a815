-- Facebook Page posts with their lifetime figures as of the latest fetch (engagement keeps
-- arriving for about a week; later syncs replace a recent post's row). Videos' and Reels' views come from the
-- video's insights; a figure Meta gave none for (a Reel's reach, a video's link clicks) is NULL, never 0
-- (DECISIONLOG.md, "Missing organic metrics are NULL").
select
    'facebook'                as network,
    'meta'                    as channel,
    page_id                   as account_id,
    post_id,
    cast(published_date as date) as published_date,
    published_at,
    permalink,
    message                   as post_text,
    views,
    viewers                   as lifetime_reach,
    reactions,
    comments,
    shares,
    cast(null as bigint)      as saves,
    link_clicks               as clicks,
    _loaded_at                as fetched_at
from {{ source('raw', 'facebook_page_posts') }}
