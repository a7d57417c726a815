-- Facebook Page insights per Page × day, renamed to the organic vocabulary every network shares.
-- Meta counts a Page's days in its reporting zone (Pacific time: a daily value ends at midnight
-- there, developers.facebook.com/documentation/pages-api/platforminsights/page, "Limitations").
-- A metric Meta left out of a day is NULL, not 0 (DECISIONLOG.md, "Missing organic metrics are NULL").
select
    cast(date as date)        as date_day,
    'facebook'                as network,
    'meta'                    as channel,
    page_id                   as account_id,
    'America/Los_Angeles'     as time_zone,
    follows_total             as platform_followers,
    follows                   as followers_gained,
    unfollows                 as followers_lost,
    media_viewers             as reach_daily,
    media_views               as views,  -- noqa: RF04
    post_engagements          as engagements,
    page_views                as profile_views,
    _loaded_at                as loaded_at
from {{ source('raw', 'facebook_page_insights') }}
