-- The days of the period the warehouse holds any cost or traffic for.
select date_day from days_with_data($start, $end) order by date_day
