{{ config(materialized='table') }}
-- One row per organic post (Facebook Page post, Instagram media, LinkedIn organization post) with
-- its lifetime figures as of the latest fetch and its permalink. A post's engagement keeps
-- arriving for about a week: `figures_settling` marks posts younger than the sources' nightly
-- window, whose figures the next syncs will still raise.
--
-- engagements = reactions (likes) + comments + shares + saves; clicks stand apart (Facebook's link
-- clicks, LinkedIn's clicks; Instagram gives none per post). Engagement rate by followers divides
-- by the account's followers at the end of the day the post was published. Instagram stories are posts too
-- (STORY has views, reach, shares, no likes, comments or saves: those are NULL).
with posts as (
    select * from {{ ref('stg_facebook_pages__posts') }}
    union all by name
    select * from {{ ref('stg_instagram__media') }}
    union all by name
    select * from {{ ref('stg_linkedin_pages__posts') }}
),

audience as (
    select network, account_id, date_day, followers from {{ ref('audience_daily') }}
),

figures as (
    select
        p.*,
        -- a part the post's type has not (an Instagram story's likes) or the platform did not give is NULL and
        -- counts nothing; with no part at all (media posted before the business conversion) it stays NULL
        case
            when coalesce(p.reactions, p.comments, p.shares, p.saves) is not null
                then coalesce(p.reactions, 0) + coalesce(p.comments, 0) + coalesce(p.shares, 0) + coalesce(p.saves, 0)
        end as engagements,
        a.followers as followers_when_published
    from posts as p
    left join audience as a
        on p.network = a.network and p.account_id = a.account_id and p.published_date = a.date_day
)

select
    network,
    channel,
    account_id,
    post_id,
    published_date,
    published_at,
    permalink,
    post_text,
    views,
    lifetime_reach,
    reactions,
    comments,
    shares,
    saves,
    clicks,
    engagements,
    engagements / nullif(lifetime_reach, 0)            as engagement_rate_by_lifetime_reach,
    engagements / nullif(followers_when_published, 0)  as engagement_rate_by_followers,
    followers_when_published,
    fetched_at,
    -- a story is read while it is live (24 hours) and then never again: its figures are as final as they will get
    coalesce(post_format, '') != 'STORY' and published_date > cast(fetched_at as date) - 7 as figures_settling
from figures
order by published_at desc, network asc, post_id asc
