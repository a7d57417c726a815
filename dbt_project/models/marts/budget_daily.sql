{{ config(materialized='table') }}
-- Each budget (int_budgets) spread evenly over every day of its period and converted into the
-- reporting currency with the rates everything else is converted at (reporting_rates): one row
-- per day, channel and budget. A budget is a plan, so its days run past the days loaded: a day
-- after the last loaded day is converted at that day's rate (the latest known), and a day before
-- the first loaded one at the first's, so a budget for the whole year needs no rates for months
-- the warehouse never loaded. Not rounded: the days of a budget add up to its amount. Rebuilt
-- whole on every run (the file may change, and the latest rate with it).
with budgets as (
    select * from {{ ref('int_budgets') }}
),

loaded as (
    -- the first and last day any ad platform's data is loaded
    select min(date_day) as first_day, max(date_day) as last_day
    from (
        {%- for platform in ad_platforms().values() %}
        select date_day from {{ ref(platform.staging_model) }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
),

budget_days as (
    select
        b.*,
        cast(series.generated_day as date)                                    as date_day,
        -- no data loaded yet: each day's own rate
        coalesce(
            least(greatest(cast(series.generated_day as date), l.first_day), l.last_day),
            cast(series.generated_day as date)
        )                                                         as rate_day
    from budgets as b
    cross join loaded as l,
        generate_series(b.period_start, b.period_end, interval 1 day) as series (generated_day)
),

rate_days as (
    select currency, rate_day as date_day from budget_days
),

rates as (
    {{ reporting_rates('rate_days') }}
)

select
    d.date_day,
    d.channel,
    d.budget_id,
    d.covers,
    d.period_start,
    d.period_end,
    d.days_in_budget,
    d.amount                                                      as budget_amount,
    d.currency,
    d.amount / d.days_in_budget                                   as amount_per_day,
    '{{ var("reporting_currency") | upper }}'                     as reporting_currency,
    d.rate_day,
    r.rate_to_reporting,
    d.amount / d.days_in_budget * r.rate_to_reporting             as budget_reporting,
    d.note
from budget_days as d
join rates as r on r.currency = d.currency and r.date_day = d.rate_day
