-- The first and last day the warehouse holds cost or traffic for, at all.
select min(date_day) as first_day, max(date_day) as last_day
from (
    select date_day from marts.cost_daily
    union all
    select date_day from marts.conversions_daily
)
