{{ config(severity='warn') }}
-- Day-over-day spend anomalies per ad account, within the built window: a day spending more than
-- 5× the account's trailing 14-day median, or nothing on a day when the account usually spends.
-- A warning, not a stop: budgets do change; someone should look.
with account_days as (
    select channel, account_id, date_day, sum(spend) as spend
    from {{ ref('cost_daily') }}
    where campaign_id is not null
    group by all
),

with_baseline as (
    select
        *,
        median(spend) over (
            partition by channel, account_id order by date_day
            rows between 14 preceding and 1 preceding
        ) as trailing_median,
        count(*) over (
            partition by channel, account_id order by date_day
            rows between 14 preceding and 1 preceding
        ) as trailing_days
    from account_days
)

select channel, account_id, date_day, spend, trailing_median
from with_baseline
where
    {{ in_date_window('date_day') }}
    and trailing_days >= 7
    and (spend > 5 * trailing_median or (spend = 0 and trailing_median > 0))
