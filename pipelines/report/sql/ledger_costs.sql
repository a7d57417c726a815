-- The cost ledger's costs charged to the period's days, per channel, media type and category, in
-- the reporting currency (intermediate.int_other_costs_daily: each entry spread evenly over its
-- days, then over the channel's campaigns by their share of the day's spend).
select channel, media_type, category, sum(amount_reporting) as amount
from intermediate.int_other_costs_daily
where date_day between $start and $end
group by all
having sum(amount_reporting) <> 0
order by channel, media_type, category
