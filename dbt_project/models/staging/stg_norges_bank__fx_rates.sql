-- Norges Bank's official daily exchange rates renamed and cast; one row per raw row. `rate` stays
-- DECIMAL(18,8), the published decimal: 1 base_currency = rate quote_currency (NOK) on rate_date.
select
    rate_date,
    upper(base_currency)           as base_currency,
    upper(quote_currency)          as quote_currency,
    cast(rate as decimal(18, 8))   as rate,
    unit_multiplier,
    raw_value                      as rate_as_published
from {{ source('raw', 'fx_rates') }}
