-- Every organic account's days side by side (Facebook Pages, Instagram accounts, LinkedIn
-- organizations), with the running sum of its net follower change that the follower totals are
-- derived from. A network that does not report losses (NULL) has no running sum.
with days as (
    select * from {{ ref('stg_facebook_pages__page_days') }}
    union all by name
    select * from {{ ref('stg_instagram__account_days') }}
    union all by name
    select * from {{ ref('stg_linkedin_pages__organization_days') }}
)

select
    *,
    followers_gained - followers_lost as net_follower_growth,
    sum(followers_gained - followers_lost) over (
        partition by network, account_id order by date_day rows unbounded preceding
    )                                  as cumulative_net_growth
from days
