-- Every known rate into the reporting currency, per publication date: direct pairs, inverses,
-- and cross rates through a common quote currency (Norges Bank quotes all against NOK).
-- Rates from the fx_rates seed win over fetched ones on the same day and pair. `source` says whose
-- published rates a rate comes from (`seed` when the seed gave any of them), `derivation` how.
{%- set reporting = var('reporting_currency') | upper %}
with published as (
    select
        rate_date, upper(base_currency) as base_currency, upper(quote_currency) as quote_currency, rate,
        1 as priority, 'seed' as source
    from {{ ref('fx_rates') }}
    union all
    -- As a double, like the seed's rates: the inverses and cross rates below divide, and DuckDB
    -- divides decimals as doubles anyway. DECISIONLOG.md: "Exchange rates stay exact until they meet arithmetic".
    select
        rate_date, base_currency, quote_currency, cast(rate as double) as rate, 2 as priority,
        'norges_bank' as source
    from {{ ref('stg_norges_bank__fx_rates') }}
),

rates as (
    select * from published
    qualify row_number() over (partition by rate_date, base_currency, quote_currency order by priority) = 1
),

candidates as (
    select base_currency as currency, rate_date, rate, source, 'direct' as derivation, 1 as preference
    from rates
    where quote_currency = '{{ reporting }}'
    union all
    select quote_currency as currency, rate_date, 1 / rate as rate, source, 'inverse' as derivation, 2 as preference
    from rates
    where base_currency = '{{ reporting }}'
    union all
    select
        c.base_currency as currency, c.rate_date, c.rate / r.rate as rate,
        case when 'seed' in (c.source, r.source) then 'seed' else 'norges_bank' end as source,
        'cross' as derivation, 3 as preference
    from rates as c
    join rates as r
        on  r.rate_date = c.rate_date
        and r.quote_currency = c.quote_currency
        and r.base_currency = '{{ reporting }}'
    where c.base_currency <> '{{ reporting }}'
)

select currency, rate_date, rate as rate_to_reporting, source, derivation
from candidates
where currency <> '{{ reporting }}'
qualify row_number() over (partition by currency, rate_date order by preference) = 1
