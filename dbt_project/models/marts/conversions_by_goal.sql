{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- Conversions per day, campaign and goal: what the platform claims beside what GA4 observed, so
-- purchases are compared with purchases and leads with leads. Each row's conversions are valued
-- by the matching row of the conversion values file (most specific scope first: campaign, then
-- channel, then every channel), counted from the same source as revenue (`revenue_source`):
-- GA4's key events by default, the platform's claim otherwise. Money in the reporting currency.
-- `counted_on` splits the claims made on the website (which GA4 can see) from those made on the
-- platform itself (lead forms, shop purchases): only the first are ever set against GA4.
{%- set counted = 'ga4_key_events' if var('revenue_source') == 'ga4' else 'platform_conversions' %}
with conversions as (
    select
        date_day, channel, media_type, account_id, campaign_id, goal, counted_on, currency,
        sum(platform_conversions)      as platform_conversions,
        sum(platform_conversion_value) as platform_conversion_value,
        sum(ga4_key_events)            as ga4_key_events,
        sum(ga4_event_value)           as ga4_event_value
    from {{ ref('int_conversions_by_goal') }}
    group by all
),

valued as (
    select c.*, v.value_id, v.value_per_conversion, v.currency as value_currency, v.use_reported_value
    from conversions as c
    left join {{ ref('int_conversion_values') }} as v
        on v.goal = c.goal
        and c.date_day between v.period_start and v.period_end
        and (v.channel is null or v.channel = c.channel)
        and (v.campaign_id is null or v.campaign_id = c.campaign_id)
    qualify row_number() over (
        partition by c.date_day, c.channel, c.media_type, c.account_id, c.campaign_id, c.goal, c.counted_on, c.currency
        order by (v.campaign_id is not null) desc, (v.channel is not null) desc
    ) = 1
),

needed as (
    select currency, date_day from valued
    union all
    select value_currency as currency, date_day from valued
),

rates as (
    {{ reporting_rates('needed') }}
),

in_reporting as (
    select
        v.*,
        cast(round(v.platform_conversion_value * r.rate_to_reporting, 2) as decimal(18, 2))
            as platform_conversion_value_reporting,
        cast(round(v.ga4_event_value * r.rate_to_reporting, 2) as decimal(18, 2)) as ga4_event_value_reporting,
        v.value_per_conversion * vr.rate_to_reporting                           as value_per_conversion_reporting
    from valued as v
    join rates as r on r.currency = v.currency and r.date_day = v.date_day
    left join rates as vr on vr.currency = v.value_currency and vr.date_day = v.date_day
)

select
    date_day,
    channel,
    media_type,
    account_id,
    campaign_id,
    goal,
    counted_on,
    '{{ var("reporting_currency") | upper }}'                    as reporting_currency,
    sum(coalesce(platform_conversions, 0))                       as platform_conversions,
    sum(coalesce(platform_conversion_value_reporting, 0))        as platform_conversion_value_reporting,
    sum(coalesce(ga4_key_events, 0))                             as ga4_key_events,
    sum(coalesce(ga4_event_value_reporting, 0))                  as ga4_event_value_reporting,
    any_value(value_id)                                          as value_id,
    cast(sum(
        case use_reported_value
            when 'ga4' then coalesce(ga4_event_value_reporting, 0)
            when 'platform' then coalesce(platform_conversion_value_reporting, 0)
            else round(coalesce({{ counted }}, 0) * coalesce(value_per_conversion_reporting, 0), 2)
        end
    ) as decimal(18, 2))                                         as valued_conversions_value_reporting
from in_reporting
group by date_day, channel, media_type, account_id, campaign_id, goal, counted_on
