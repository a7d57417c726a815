-- Currencies the period's money was converted from into the reporting currency, and the rates it
-- was converted at, as the marts applied them (marts.fx_rates_applied): what was in the currency,
-- how many published rates were applied (a weekend day uses Friday's: one rate), their range,
-- whose they are and how they were got, and how old the oldest applied rate was on the day it
-- served (0 when every day had its own).
select
    currency,
    list(distinct used_for order by used_for)                     as used_for,
    list(distinct source order by source)                         as sources,
    list(distinct derivation order by derivation)                 as derivations,
    count(distinct rate_date)                                     as rate_days,
    min(rate_to_reporting)                                        as min_rate,
    max(rate_to_reporting)                                        as max_rate,
    max(days_since_rate)                                          as max_days_since_rate
from marts.fx_rates_applied
where date_day between $start and $end and currency <> upper($reporting_currency)
group by currency
order by currency
