-- Currencies the period's money was converted from into the reporting currency, what was in them,
-- and the daily rates available for the direct pair: Norges Bank's (raw.fx_rates) and the fx_rates
-- seed's (which wins on the same day). The marts allow a rate up to a week old, hence the 7 days.
with used as (
    select upper(currency) as currency, 'spend' as used_for
    from marts.cost_daily
    where date_day between $start and $end and spend <> 0
    union
    select upper(currency), 'platform_value'
    from marts.conversions_daily
    where date_day between $start and $end and platform_conversion_value <> 0
    union
    select upper(currency), 'ga4'
    from marts.ga4_traffic_by_campaign
    where date_day between $start and $end and revenue <> 0
),

converted as (
    select currency, list(used_for order by used_for) as used_for
    from used
    where currency is not null and currency <> upper($reporting_currency)
    group by currency
),

rates as (
    select upper(base_currency) as currency, 'norges_bank' as source, rate_date, cast(rate as double) as rate
    from raw.fx_rates
    where upper(quote_currency) = upper($reporting_currency)
    union all
    select upper(base_currency), 'seed', rate_date, cast(rate as double)
    from seeds.fx_rates
    where upper(quote_currency) = upper($reporting_currency)
)

select
    c.currency,
    c.used_for,
    r.source,
    count(r.rate_date)  as rate_days,
    min(r.rate)         as min_rate,
    max(r.rate)         as max_rate
from converted as c
left join rates as r
    on r.currency = c.currency and r.rate_date between cast($start as date) - 7 and cast($end as date)
group by all
order by c.currency, r.source
