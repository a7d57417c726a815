-- Attached to cost_daily, so Dagster runs it as an asset check of that mart (it reads several
-- tables, and dagster-dbt would otherwise record it as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'cost_daily'}}}) }}
-- The cost mart's spend equals the raw tables' spend per channel and day, in the account
-- currency, within the built window: nothing lost or doubled between raw and marts. The raw
-- tables and their spend columns are the ones listed in macros/ad_platforms.sql.
with raw_spend as (
    {%- for channel, platform in ad_platforms().items() %}
    select '{{ channel }}' as channel, cast(date as date) as date_day, sum({{ platform.raw_spend_column }}) as spend
    from {{ source('raw', platform.raw_table) }}
    where {{ in_date_window('cast(date as date)') }}
    group by all
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

mart_spend as (
    select channel, date_day, sum(spend) as spend
    from {{ ref('cost_daily') }}
    where {{ in_date_window('date_day') }} and campaign_id is not null
    group by all
)

select
    coalesce(r.channel, m.channel) as channel, coalesce(r.date_day, m.date_day) as date_day,
    r.spend as raw_spend, m.spend as mart_spend
from raw_spend as r
full outer join mart_spend as m using (channel, date_day)
where r.spend is distinct from m.spend and coalesce(r.spend, 0) + coalesce(m.spend, 0) <> 0
