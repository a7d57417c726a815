-- Each network's organic audience over the period (marts.audience_daily), all accounts together:
-- followers at the end of the period's eve and at its last loaded day (NULL unless every account
-- has the day), their growth rate, the period's gains, losses and engagements, and how the
-- follower counts were known (audience_daily's followers_basis, and the snapshot they rest on).
--
-- The eve is the period's first day less that day's net change when the warehouse does not hold
-- the eve itself (a period that starts on the first loaded day): the same count, one day earlier.
-- The engagement rate by followers is Σ engagements ÷ Σ (days × the account's average followers
-- over the period's days with a count): for a network counted every day that is Σ engagements ÷
-- Σ daily followers; for one counted on snapshot days only (LinkedIn reports no unfollows) it
-- sets the whole period's engagements against the followers of those days, not one day's
-- engagements against them.
with days as (
    select *
    from marts.audience_daily
    where date_day between $start - 1 and $end
),

per_account as (
    select
        network,
        account_id,
        coalesce(
            max(followers) filter (where date_day = $start - 1),
            max(followers - net_follower_growth) filter (where date_day = $start)
        )                                                                               as followers_start,
        arg_max_null(followers, date_day) filter (where date_day >= $start)            as followers_end,
        sum(followers_gained) filter (where date_day >= $start)                        as followers_gained,
        sum(followers_lost) filter (where date_day >= $start)                          as followers_lost,
        sum(engagements) filter (where date_day >= $start)                             as engagements,
        count(engagements) filter (where date_day >= $start)
        * avg(followers) filter (where date_day >= $start)                             as follower_days,
        list(distinct followers_basis) filter (where date_day >= $start)               as bases
    from days
    group by all
),

networks as (
    select
        network,
        case when count(followers_start) = count(*) then sum(followers_start) end as followers_start,
        case when count(followers_end) = count(*) then sum(followers_end) end     as followers_end,
        sum(followers_gained)                                                     as followers_gained,
        sum(followers_lost)                                                       as followers_lost,
        sum(engagements)                                                          as engagements,
        case
            when count(follower_days) = count(*) then sum(engagements) / nullif(sum(follower_days), 0)
        end                                                                       as engagement_rate_by_followers,
        -- how the counts were known: the platform's daily total, worked back or forward from a
        -- snapshot with the daily net change, or a snapshot's day alone
        case
            when list_has_all(['platform_daily_total'], flatten(list(bases))) and len(list_distinct(flatten(list(bases)))) = 1
                then 'platform_daily_total'
            when list_contains(flatten(list(bases)), 'derived_from_snapshot') then 'derived_from_snapshot'
            when list_contains(flatten(list(bases)), 'snapshot') then 'snapshot_days_only'
            else 'none'
        end                                                                       as followers_basis
    from per_account
    group by network
),

anchors as (
    -- the snapshot the counts rest on: the first taken on or after the period's eve, else the last before
    select
        network,
        coalesce(min(date_day) filter (where date_day >= $start - 1), max(date_day)) as snapshot_day
    from staging.stg_follower_snapshots
    group by network
)

select
    n.*,
    case when n.followers_basis <> 'platform_daily_total' then a.snapshot_day end as snapshot_day,
    (n.followers_end - n.followers_start) / nullif(n.followers_start, 0)          as follower_growth_rate
from networks as n
left join anchors as a using (network)
order by n.network
