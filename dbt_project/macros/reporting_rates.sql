{#- The rate into the reporting currency for each (currency, day) in `needed` (a relation or CTE
    with columns currency and date_day): the day's rate, or the last one at most
    fx_max_staleness_days older. A missing rate stops the build with a message naming the
    currency and the days: money is never converted at a silent 1.0. Beside the rate: the day it
    was published (`rate_date`), whose it is (`source`) and how it was got (`derivation`), as
    int_fx_rates has them; marts.fx_rates_applied records them for the report. -#}
{% macro reporting_rates(needed) -%}
{%- set reporting = var('reporting_currency') | upper -%}
with pairs as (
    select distinct upper(currency) as currency, date_day from {{ needed }} where currency is not null
),

matched as (
    select
        p.currency,
        p.date_day,
        case when p.currency = '{{ reporting }}' then 1.0 else r.rate_to_reporting end as rate_to_reporting,
        case when p.currency = '{{ reporting }}' then p.date_day else r.rate_date end as rate_date,
        case when p.currency = '{{ reporting }}' then 'reporting_currency' else r.source end as source,
        case when p.currency = '{{ reporting }}' then 'none' else r.derivation end as derivation
    from pairs as p
    asof left join {{ ref('int_fx_rates') }} as r
        on r.currency = p.currency and p.date_day >= r.rate_date
),

checked as (
    select
        *,
        rate_date is null or date_day - rate_date > {{ var('fx_max_staleness_days') }} as missing
    from matched
),

missing_summary as (
    select string_agg(currency || ' on ' || days, '; ') as listing
    from (
        select currency, string_agg(cast(date_day as varchar), ', ' order by date_day) as days
        from checked where missing group by currency
    )
)

select
    c.currency,
    c.date_day,
    case
        when c.missing then error(
            'No exchange rate into {{ reporting }} for ' || m.listing
            || ' (nor within {{ var("fx_max_staleness_days") }} days before). Add rates to dbt_project/seeds/fx_rates.csv'
            || ' or list the currency in SOCIAL_ROI_FX_CURRENCIES so the pipeline fetches it, then re-run those days.'
        )
        else c.rate_to_reporting
    end as rate_to_reporting,
    c.rate_date,
    c.source,
    c.derivation
from checked as c
cross join missing_summary as m
{%- endmacro %}
