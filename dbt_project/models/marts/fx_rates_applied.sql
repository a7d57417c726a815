{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- The exchange rate each day's money was converted at, per currency and per kind of money: the
-- same (currency, day) pairs the marts convert, passed through the same reporting_rates macro, so
-- the rate, its publication day and its source are the ones applied. Only money that is not zero
-- and not in the reporting currency already. The report's data notes list these rates. Every input
-- is held to the built window here too, so that a run of this mart alone (its views keep the window
-- they were created with) rebuilds exactly the days it deletes.
{%- set reporting = var('reporting_currency') | upper %}
{%- set counted = 'ga4_key_events' if var('revenue_source') == 'ga4' else 'platform_conversions' %}
with converted as (
    -- cost_daily (spend) and conversions_daily (platform conversion value)
    select currency, date_day, 'spend' as used_for
    from {{ ref('int_campaign_day') }}
    where {{ in_date_window('date_day') }} and spend <> 0
    union all
    select currency, date_day, 'platform_value' as used_for
    from {{ ref('int_campaign_day') }}
    where {{ in_date_window('date_day') }} and conversion_value <> 0
    union all
    -- conversions_daily (GA4 revenue)
    select currency, date_day, 'ga4' as used_for
    from {{ ref('ga4_traffic_by_campaign') }}
    where {{ in_date_window('date_day') }} and (revenue <> 0 or purchase_revenue <> 0)
    union all
    -- cost_daily's other costs (the cost ledger, in each entry's own currency)
    select currency, date_day, 'other_costs' as used_for
    from {{ ref('int_other_costs_daily') }}
    where {{ in_date_window('date_day') }} and amount_reporting <> 0
    union all
    -- conversions_by_goal: the platforms' and GA4's values per goal
    select currency, date_day, 'platform_value' as used_for
    from {{ ref('int_conversions_by_goal') }}
    where {{ in_date_window('date_day') }} and platform_conversion_value <> 0
    union all
    select currency, date_day, 'ga4' as used_for
    from {{ ref('int_conversions_by_goal') }}
    where {{ in_date_window('date_day') }} and ga4_event_value <> 0
    union all
    -- conversions_by_goal: a value per conversion agreed in a currency (conversion_values.csv)
    select v.currency, g.date_day, 'conversion_values' as used_for
    from {{ ref('conversions_by_goal') }} as g
    join {{ ref('int_conversion_values') }} as v using (value_id)
    where {{ in_date_window('g.date_day') }} and v.use_reported_value is null and g.{{ counted }} <> 0
),

needed as (
    select distinct upper(currency) as currency, date_day, used_for
    from converted
    where upper(currency) <> '{{ reporting }}'
),

rates as (
    {{ reporting_rates('needed') }}
)

select
    n.date_day,
    n.currency,
    n.used_for,
    '{{ reporting }}'                      as reporting_currency,
    r.rate_to_reporting,
    r.rate_date,
    n.date_day - r.rate_date               as days_since_rate,
    r.source,
    r.derivation
from needed as n
join rates as r on r.currency = n.currency and r.date_day = n.date_day
