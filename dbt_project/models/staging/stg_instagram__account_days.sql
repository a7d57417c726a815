-- Instagram professional-account insights per account × day, in the organic vocabulary. Meta
-- counts Instagram's days in the same Pacific reporting zone as Page insights.
-- A metric Meta left out of a day is NULL, not 0 (DECISIONLOG.md, "Missing organic metrics are NULL").
select
    cast(date as date)        as date_day,
    'instagram'               as network,
    'meta'                    as channel,
    account_id,
    'America/Los_Angeles'     as time_zone,
    cast(null as bigint)      as platform_followers,
    follows                   as followers_gained,
    unfollows                 as followers_lost,
    reach                     as reach_daily,
    views,
    total_interactions        as engagements,
    profile_views,
    _loaded_at                as loaded_at
from {{ source('raw', 'instagram_account_insights') }}
