-- The cost mart's spend equals the raw tables' spend per channel and day, in the account
-- currency, within the built window: nothing lost or doubled between raw and marts.
with raw_spend as (
    select 'meta' as channel, cast(date as date) as date_day, sum(spend) as spend
    from {{ source('raw', 'meta_ads_insights') }}
    where {{ in_date_window('cast(date as date)') }}
    group by all
    union all
    select 'linkedin', cast(date as date), sum(cost_in_local_currency)
    from {{ source('raw', 'linkedin_ads_analytics') }}
    where {{ in_date_window('cast(date as date)') }}
    group by all
),

mart_spend as (
    select channel, date_day, sum(spend) as spend
    from {{ ref('cost_daily') }}
    where {{ in_date_window('date_day') }} and campaign_id is not null
    group by all
)

select coalesce(r.channel, m.channel) as channel, coalesce(r.date_day, m.date_day) as date_day, r.spend as raw_spend, m.spend as mart_spend
from raw_spend as r
full outer join mart_spend as m using (channel, date_day)
where r.spend is distinct from m.spend and coalesce(r.spend, 0) + coalesce(m.spend, 0) <> 0
