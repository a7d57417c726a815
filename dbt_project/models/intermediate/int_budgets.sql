{{ config(materialized='table') }}
-- The budgets per channel the user sets (config/budgets.csv, or the file named by
-- SOCIAL_ROI_BUDGETS), validated row by row: bad rows stop the build with one message that names
-- every one of them and the fix. A budget is for an ad channel, because it is measured against
-- what cost_daily holds for the channel's paid side: ad spend (`covers` = media) or ad spend and
-- the other costs booked to it (`covers` = total). Two budgets of one channel and one `covers`
-- must not share a day: they would silently add up.
{%- set budgets_file = env_var('SOCIAL_ROI_BUDGETS', '../config/budgets.csv') %}
{%- set covers = ['media', 'total'] %}
with budgets as (
    select *
    from read_csv({{ sql_string(budgets_file) }}, header = true, columns = {
        'budget_id': 'VARCHAR', 'channel': 'VARCHAR', 'period_start': 'DATE', 'period_end': 'DATE',
        'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR', 'covers': 'VARCHAR', 'note': 'VARCHAR'
    })
),

sharing_days as (
    -- for each budget, the other budgets of its channel and covers that share a day with it
    select
        b.budget_id,
        string_agg(o.budget_id, ', ' order by o.budget_id) as overlapping
    from budgets as b
    join budgets as o
        on  lower(trim(o.channel)) = lower(trim(b.channel))
        and lower(trim(o.covers)) = lower(trim(b.covers))
        and o.budget_id <> b.budget_id
        and o.period_start <= b.period_end
        and b.period_start <= o.period_end
    group by b.budget_id
),

checked as (
    select
        b.*,
        case
            when b.budget_id is null then 'budget_id is empty'
            when count(*) over (partition by b.budget_id) > 1
                then 'budget_id appears ' || count(*) over (partition by b.budget_id) || ' times'
                || ': give each budget its own budget_id'
            when b.channel is null or lower(trim(b.channel)) not in ({{ quoted_list(ad_channels()) }})
                then 'channel ' || coalesce('''' || b.channel || '''', 'is empty') || ' is unknown: a budget is'
                || ' set for a channel that buys ads, one of {{ ad_channels() | sort | join(", ") }}'
            when b.period_start is null or b.period_end is null then 'period_start and period_end are required'
            when b.period_end < b.period_start
                then 'period_end ' || b.period_end || ' is before period_start ' || b.period_start
            when b.amount is null then 'amount is required'
            when b.amount < 0 then 'amount is negative'
            when b.currency is null or length(trim(b.currency)) <> 3 then 'currency must be a three-letter ISO code'
            when b.covers is null or lower(trim(b.covers)) not in ({{ quoted_list(covers) }})
                then 'covers ' || coalesce('''' || b.covers || '''', 'is empty')
                || ' is not media (ad spend only) or total (ad spend and the other costs booked to the channel)'
            when o.overlapping is not null
                then 'its days overlap budget ' || o.overlapping || ' of the same channel and covers'
                || ' (the two would add up): end one before the other starts'
        end as problem
    from budgets as b
    left join sharing_days as o on o.budget_id = b.budget_id
),

problem_listing as (
    -- every bad row in one message, so that one run names all there is to fix
    select string_agg(distinct 'Budget ' || coalesce(budget_id, '?') || ': ' || problem, '; ') as listing
    from checked
    where problem is not null
)

select
    budget_id,
    lower(trim(channel))                      as channel,
    lower(trim(covers))                       as covers,
    period_start,
    period_end,
    period_end - period_start + 1             as days_in_budget,
    case
        when (select pl.listing from problem_listing as pl) is not null
            then error(
                (select pl.listing from problem_listing as pl)
                || ' (in ' || {{ sql_string(budgets_file) }} || '). Fix the rows and re-run.'
            )
        else amount
    end                                       as amount,
    upper(trim(currency))                     as currency,
    note
from checked
