-- LinkedIn organization-page statistics per organization × day, in the organic vocabulary.
-- LinkedIn's days are UTC days. Engagements follow LinkedIn's own engagement count without
-- follows: clicks + reactions + comments + shares (DECISIONLOG.md).
select
    cast(date as date)                                   as date_day,
    'linkedin'                                           as network,
    'linkedin'                                           as channel,
    organization_id                                      as account_id,
    'UTC'                                                as time_zone,
    cast(null as bigint)                                 as platform_followers,
    organic_follower_gain + paid_follower_gain           as followers_gained,
    cast(null as bigint)                                 as followers_lost,
    unique_impressions                                   as reach_daily,
    impressions                                          as views,  -- noqa: RF04
    clicks + reactions + comments + shares               as engagements,
    cast(null as bigint)                                 as profile_views,
    _loaded_at                                           as loaded_at
from {{ source('raw', 'linkedin_organization_daily') }}
