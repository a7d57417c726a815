-- Budget against actual over the report's days, per channel and what the budget covers
-- (marts.budget_daily): the budget of the period's days, what was spent on the same days (cost_daily's
-- paid rows of the channel: ad spend for a media budget, total cost for a total one), what remains,
-- the share used, and the pace: the budget of the days up to the period's last loaded day (the
-- last day the warehouse holds any cost or traffic for), and the share of it used. Days the period
-- holds but no budget covers count on neither side. With the budgets behind each row.
with budget_days as (
    select *
    from marts.budget_daily
    where date_day between $start and $end
),

last_loaded as (
    select least($end, max(date_day)) as last_day
    from (
        select date_day from marts.cost_daily
        union all
        select date_day from marts.conversions_daily
    ) as loaded
),

budgeted as (
    select
        b.channel,
        b.covers,
        sum(b.budget_reporting)                                          as budget,
        coalesce(sum(b.budget_reporting) filter (where b.date_day <= l.last_day), 0) as expected_to_date,
        any_value(l.last_day)                                            as last_loaded_day,
        list(distinct {
            'budget_id': b.budget_id, 'amount': b.budget_amount, 'currency': b.currency,
            'period_start': b.period_start, 'period_end': b.period_end, 'note': b.note
        })                                                               as budgets
    from budget_days as b
    cross join last_loaded as l
    group by b.channel, b.covers
),

actual as (
    select
        d.channel,
        d.covers,
        sum(case when d.covers = 'media' then c.spend_reporting else c.total_cost_reporting end) as actual
    from (select distinct date_day, channel, covers from budget_days) as d
    join marts.cost_daily as c on c.date_day = d.date_day and c.channel = d.channel and c.media_type = 'paid'
    group by d.channel, d.covers
)

select
    b.channel,
    b.covers,
    b.budget,
    coalesce(a.actual, 0)                                                as actual,
    b.budget - coalesce(a.actual, 0)                                     as remaining,
    coalesce(a.actual, 0) / nullif(b.budget, 0)                          as share_used,
    b.last_loaded_day,
    b.expected_to_date,
    coalesce(a.actual, 0) / nullif(b.expected_to_date, 0)                as share_of_expected,
    b.budgets
from budgeted as b
left join actual as a using (channel, covers)
order by b.channel, b.covers
