-- Attached to fx_rates_applied, so Dagster runs it as an asset check of that mart. Within the built
-- window, every foreign-currency amount of cost_daily (spend) and conversions_daily (the platforms'
-- conversion value) has its rate in fx_rates_applied, and that rate times the amount, rounded to
-- the cent as the marts round, is the amount the mart holds in the reporting currency: the rates
-- the report lists are the rates the money was converted at.
{{ config(meta={'dagster': {'ref': {'name': 'fx_rates_applied'}}}) }}
{%- set reporting = var('reporting_currency') | upper %}
with converted as (
    select date_day, upper(currency) as currency, 'spend' as used_for, spend as amount, spend_reporting as in_reporting
    from {{ ref('cost_daily') }}
    where {{ in_date_window('date_day') }} and spend <> 0
    union all
    select
        date_day, upper(currency) as currency, 'platform_value' as used_for,
        platform_conversion_value as amount, platform_conversion_value_reporting as in_reporting
    from {{ ref('conversions_daily') }}
    where {{ in_date_window('date_day') }} and platform_conversion_value <> 0
)

select
    c.date_day,
    c.currency,
    c.used_for,
    c.amount,
    c.in_reporting,
    a.rate_to_reporting,
    cast(round(c.amount * a.rate_to_reporting, 2) as decimal(18, 2)) as at_the_listed_rate
from converted as c
left join {{ ref('fx_rates_applied') }} as a
    on a.date_day = c.date_day and a.currency = c.currency and a.used_for = c.used_for
where
    c.currency <> '{{ reporting }}'
    and (
        a.rate_to_reporting is null
        or cast(round(c.amount * a.rate_to_reporting, 2) as decimal(18, 2)) <> c.in_reporting
    )
