-- Spend in the mart equals spend in the raw Meta table, day by day, within the built window.
with raw_spend as (
    select cast(date as date) as date_day, sum(spend) as spend
    from {{ source('raw', 'meta_ads_insights') }}
    where {{ in_date_window('cast(date as date)') }}
    group by 1
),

mart_spend as (
    select date_day, sum(spend) as spend
    from {{ ref('ad_performance_daily') }}
    where channel = 'meta' and {{ in_date_window('date_day') }}
    group by 1
)

select coalesce(r.date_day, m.date_day) as date_day, r.spend as raw_spend, m.spend as mart_spend
from raw_spend as r
full outer join mart_spend as m using (date_day)
where r.spend is distinct from m.spend
