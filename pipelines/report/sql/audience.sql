-- Each network's organic audience over the period (marts.audience_daily): followers at the end of
-- the period's eve and at its last loaded day, all accounts together (NULL unless every account
-- has the day), their growth rate, and the period's gains, losses and engagements.
with per_account as (
    select
        network,
        account_id,
        max(followers) filter (where date_day = $start - 1)                             as followers_start,
        arg_max_null(followers, date_day) filter (where date_day >= $start)            as followers_end,
        sum(followers_gained) filter (where date_day >= $start)                        as followers_gained,
        sum(followers_lost) filter (where date_day >= $start)                          as followers_lost,
        sum(engagements) filter (where date_day >= $start and followers is not null)   as engagements_with_followers,
        sum(followers) filter (where date_day >= $start and engagements is not null)   as follower_days,
        sum(engagements) filter (where date_day >= $start)                             as engagements
    from marts.audience_daily
    where date_day between $start - 1 and $end
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
        sum(engagements_with_followers) / nullif(sum(follower_days), 0)           as engagement_rate_by_followers
    from per_account
    group by network
)

select
    *,
    (followers_end - followers_start) / nullif(followers_start, 0) as follower_growth_rate
from networks
order by network
