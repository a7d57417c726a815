-- LinkedIn organization posts with their lifetime share statistics as of the latest fetch.
select
    'linkedin'                as network,
    'linkedin'                as channel,
    organization_id           as account_id,
    post_urn                  as post_id,
    cast(published_date as date) as published_date,
    published_at,
    permalink,
    commentary                as post_text,
    impressions               as views,  -- noqa: RF04
    unique_impressions        as lifetime_reach,
    reactions,
    comments,
    shares,
    cast(null as bigint)      as saves,
    clicks,
    _loaded_at                as fetched_at
from {{ source('raw', 'linkedin_organization_posts') }}
