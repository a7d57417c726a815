{{ config(materialized='table') }}
-- The organic audience per date × network × account (Facebook Page, Instagram account, LinkedIn
-- organization): followers at the end of the day, gained, lost, net growth, reach, views and
-- engagements, with engagement rates by followers and by reach.
--
-- Followers come from, in order: the platform's own daily total (Facebook's page_follows); else
-- the nearest follower snapshot (raw.follower_snapshots, kept forever), carried to the other
-- days by the daily net change: followers(d) = snapshot − Σ net change after d up to the
-- snapshot's day (or + Σ after the snapshot's day, for days after the last one). A network that
-- does not report losses gets followers on its snapshot days only. `followers_basis` says which.
-- Rebuilt whole on every run: the derivation runs over each account's whole history, and the
-- organic tables are small (accounts × days).
with days as (
    select * from {{ ref('int_audience_days') }}
),

snapshots as (
    select
        s.network,
        s.account_id,
        s.date_day as snapshot_day,
        s.followers as snapshot_followers,
        -- the account's running net change at the snapshot's day (0 before its first loaded day)
        coalesce(d.cumulative_net_growth, 0) as snapshot_cumulative_net_growth
    from {{ ref('stg_follower_snapshots') }} as s
    asof left join days as d
        on s.network = d.network and s.account_id = d.account_id and s.date_day >= d.date_day
),

with_next_snapshot as (
    -- the first snapshot on or after the day
    select
        d.*,
        s.snapshot_day,
        s.snapshot_followers,
        s.snapshot_cumulative_net_growth
    from days as d
    asof left join snapshots as s
        on d.network = s.network and d.account_id = s.account_id and d.date_day <= s.snapshot_day
),

anchored as (
    -- else the last snapshot before it
    select
        d.* replace (
            coalesce(d.snapshot_day, s.snapshot_day) as snapshot_day,
            coalesce(d.snapshot_followers, s.snapshot_followers) as snapshot_followers,
            coalesce(
                d.snapshot_cumulative_net_growth, s.snapshot_cumulative_net_growth
            ) as snapshot_cumulative_net_growth
        )
    from with_next_snapshot as d
    asof left join snapshots as s
        on d.network = s.network and d.account_id = s.account_id and d.date_day >= s.snapshot_day
),

followers as (
    select
        *,
        case
            when platform_followers is not null then platform_followers
            when date_day = snapshot_day then snapshot_followers
            when cumulative_net_growth is not null
                then snapshot_followers - snapshot_cumulative_net_growth + cumulative_net_growth
        end as followers,
        case
            when platform_followers is not null then 'platform_daily_total'
            when date_day = snapshot_day then 'snapshot'
            when snapshot_day is not null and cumulative_net_growth is not null then 'derived_from_snapshot'
        end as followers_basis
    from anchored
)

select
    date_day,
    network,
    channel,
    account_id,
    time_zone,
    followers,
    followers_basis,
    followers_gained,
    followers_lost,
    net_follower_growth,
    reach_daily,
    views,
    engagements,
    profile_views,
    engagements / nullif(followers, 0) as engagement_rate_by_followers,
    engagements / nullif(reach_daily, 0) as engagement_rate_by_daily_reach,
    loaded_at
from followers
order by date_day, network, account_id
