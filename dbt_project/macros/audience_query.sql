{#- The organic audience over windows of days: ONE definition of follower growth and engagement per
    follower, read by marts.follower_growth_monthly (a window per month), the KPI targets
    (kpi_measured: a window per target) and the report (marts.audience_between(start, end)).

    audience_by_account(windows, audience): per window and account. `windows` is a relation or CTE
    with window_key, window_start, window_end and scope (a network or a channel; NULL: every
    organic account); `audience` is marts.audience_daily. An account counts in a window when it has
    a day in it (a Page dropped from the settings before is not missing).
    - followers_start: the followers at the end of the window's eve, else the first day's less that
      day's net change (the same count, a day earlier: a window that starts on the first loaded day);
    - followers_end: on the window's last day with a count;
    - follower_days: days × the average followers over the window's days with a count, so that the
      engagement rate by followers sets every day's engagements against the followers, also where
      followers are known on snapshot days only (LinkedIn reports no unfollows).

    audience_totals(by_account, keys): the accounts of each group together (keys: the columns to
    group by, window_key first). Followers at the start or end are NULL unless every account has
    them (a sum over part of the accounts is no total); rates are sums over sums. -#}
{% macro audience_by_account(windows, audience) -%}
select
    w.window_key,
    a.network,
    a.channel,
    a.account_id,
    coalesce(
        max(a.followers) filter (where a.date_day = w.window_start - 1),
        max(a.followers - a.net_follower_growth) filter (where a.date_day = w.window_start)
    )                                                                                     as followers_start,
    arg_max_null(a.followers, a.date_day) filter (where a.date_day >= w.window_start)    as followers_end,
    sum(a.followers_gained) filter (where a.date_day >= w.window_start)                  as followers_gained,
    sum(a.followers_lost) filter (where a.date_day >= w.window_start)                    as followers_lost,
    sum(a.net_follower_growth) filter (where a.date_day >= w.window_start)               as net_follower_growth,
    sum(a.engagements) filter (where a.date_day >= w.window_start)                       as engagements,
    count(a.engagements) filter (where a.date_day >= w.window_start)
    * avg(a.followers) filter (where a.date_day >= w.window_start)                       as follower_days,
    sum(a.reach_daily) filter (where a.date_day >= w.window_start)                       as reach_sum_of_daily_upper_bound,
    max(a.date_day) filter (where a.date_day >= w.window_start)                          as last_loaded_day,
    count(*) filter (where a.date_day >= w.window_start)                                 as days_in_data,
    list(distinct a.followers_basis) filter (where a.date_day >= w.window_start)         as bases
from {{ windows }} as w
inner join {{ audience }} as a
    on (w.scope is null or a.network = w.scope or a.channel = w.scope)
    and a.date_day between w.window_start - 1 and w.window_end
group by w.window_key, a.network, a.channel, a.account_id
having count(*) filter (where a.date_day >= w.window_start) > 0
{%- endmacro %}

{% macro audience_totals(by_account, keys) -%}
select
    {{ keys | join(', ') }},
    count(*)                                                                  as accounts,
    case when count(followers_start) = count(*) then sum(followers_start) end as followers_start,
    case when count(followers_end) = count(*) then sum(followers_end) end     as followers_end,
    sum(followers_gained)                                                     as followers_gained,
    sum(followers_lost)                                                       as followers_lost,
    sum(net_follower_growth)                                                  as net_follower_growth,
    sum(engagements)                                                          as engagements,
    case when count(follower_days) = count(*) then sum(follower_days) end     as follower_days,
    sum(reach_sum_of_daily_upper_bound)                                       as reach_sum_of_daily_upper_bound,
    min(last_loaded_day)                                                      as last_loaded_day,
    max(last_loaded_day)                                                      as data_until,
    max(days_in_data)                                                         as days_in_data,
    -- how the counts were known: the platform's daily total, worked from a snapshot with the daily
    -- net change, or a snapshot's day alone
    case
        when list_distinct(flatten(list(bases))) = ['platform_daily_total'] then 'platform_daily_total'
        when list_contains(flatten(list(bases)), 'derived_from_snapshot') then 'derived_from_snapshot'
        when list_contains(flatten(list(bases)), 'snapshot') then 'snapshot_days_only'
        else 'none'
    end                                                                       as followers_basis
from {{ by_account }}
group by {{ keys | join(', ') }}
{%- endmacro %}

{#- The ratios of audience_totals' sums, as every reader states them. -#}
{% macro audience_ratios() -%}
    (followers_end - followers_start) / nullif(followers_start, 0)  as follower_growth_rate,
    followers_end - followers_start                                 as net_follower_change,
    engagements / nullif(follower_days, 0)                          as engagement_rate_by_followers
{%- endmacro %}
