{{ config(materialized='table') }}
-- What a conversion is worth, as agreed with management (config/conversion_values.csv, or the file
-- named by SOCIAL_ROI_CONVERSION_VALUES), validated row by row like the cost ledger: bad rows stop
-- the build with one message naming every one of them and the fix. Each row values one goal,
-- optionally on one channel or one campaign and for a period, in one of three ways: a `value` per
-- conversion, `close_rate` × `deal_value` (a lead's worth from the deals it becomes), or the value
-- the source itself reports (`use_reported_value` = `ga4`: GA4's key-event value; `platform`: the
-- platform's conversion value). Purchases are never valued here: their revenue is already counted.
{%- set values_file = env_var('SOCIAL_ROI_CONVERSION_VALUES', '../config/conversion_values.csv') %}
{%- set reporting = var('reporting_currency') | upper %}
with valuation as (
    select *
    from read_csv(
        {{ sql_string(values_file) }},
        header = true,
        columns = {
            'value_id': 'VARCHAR', 'goal': 'VARCHAR', 'channel': 'VARCHAR', 'campaign_id': 'VARCHAR',
            'period_start': 'DATE', 'period_end': 'DATE', 'value': 'DECIMAL(18,2)', 'close_rate': 'DOUBLE',
            'deal_value': 'DECIMAL(18,2)', 'currency': 'VARCHAR', 'use_reported_value': 'VARCHAR', 'note': 'VARCHAR'
        }
    )
),

cleaned as (
    select
        value_id,
        lower(trim(goal))                                 as goal,
        nullif(lower(trim(channel)), '')                  as channel,
        nullif(trim(campaign_id), '')                     as campaign_id,
        coalesce(period_start, date '1900-01-01')         as period_start,
        coalesce(period_end, date '2999-12-31')           as period_end,
        value,
        close_rate,
        deal_value,
        upper(nullif(trim(currency), ''))                 as currency,
        nullif(lower(trim(use_reported_value)), '')       as use_reported_value,
        note,
        goal                                              as goal_as_written,
        channel                                           as channel_as_written
    from valuation
),

goals as (
    select distinct goal from {{ ref('stg_config__conversion_goals') }}
),

known_channels as (
    {{ known_channels() }}
),

currencies as (
    select distinct currency from {{ ref('int_fx_rates') }}
    union
    select '{{ reporting }}' as currency
),

overlapping_rows as (
    -- two rows for the same goal and scope whose periods share a day would value a conversion twice
    select a.value_id, string_agg(b.value_id, ', ' order by b.value_id) as other_ids
    from cleaned as a
    join cleaned as b
        on a.value_id is distinct from b.value_id
        and a.goal = b.goal
        and a.channel is not distinct from b.channel
        and a.campaign_id is not distinct from b.campaign_id
        and a.period_start <= b.period_end and b.period_start <= a.period_end
    group by a.value_id
),

checked as (
    select
        c.*,
        case
            when c.value_id is null then 'value_id is empty'
            when count(*) over (partition by c.value_id) > 1
                then 'value_id appears ' || count(*) over (partition by c.value_id) || ' times: give each row its own'
            when g.goal is null
                then 'goal ' || coalesce('''' || c.goal_as_written || '''', 'is empty') || ' is not one of '
                || (select string_agg(gs.goal, ', ' order by gs.goal) from goals as gs)
                || ' (the goals of the conversion_goals file)'
            when c.goal = 'purchase'
                then 'purchases are valued by the revenue they bring (counted already): remove the row'
            when c.channel is not null and k.channel is null
                then 'channel ''' || c.channel_as_written || ''' is unknown: use one of '
                || (select string_agg(kc.channel, ', ' order by kc.channel) from known_channels as kc)
            when c.campaign_id is not null and c.channel is null then 'a campaign_id needs its channel'
            when c.campaign_id is not null and a.campaign_id is null
                then 'campaign_id ' || c.campaign_id || ' is not a ' || c.channel || ' campaign in the warehouse'
            when c.period_end < c.period_start
                then 'period_end ' || c.period_end || ' is before period_start ' || c.period_start
            when
                (c.value is not null)::int + (c.close_rate is not null or c.deal_value is not null)::int
                + (c.use_reported_value is not null)::int <> 1
                then 'give exactly one of: value, close_rate with deal_value, or use_reported_value'
            when c.use_reported_value not in ('ga4', 'platform')
                then 'use_reported_value ''' || c.use_reported_value || ''' is not ga4 or platform'
            when c.close_rate is not null and c.deal_value is null then 'close_rate needs a deal_value'
            when c.deal_value is not null and c.close_rate is null then 'deal_value needs a close_rate'
            when c.close_rate is not null and not (c.close_rate > 0 and c.close_rate <= 1)
                then 'close_rate ' || c.close_rate || ' is not a share between 0 and 1'
            when c.value < 0 then 'value is negative'
            when c.deal_value < 0 then 'deal_value is negative'
            when c.use_reported_value is null and c.currency is null then 'currency is required'
            when c.use_reported_value is null and cur.currency is null
                then 'currency ''' || c.currency || ''' has no exchange rate into {{ reporting }}: use an ISO code'
                || ' the pipeline fetches (SOCIAL_ROI_FX_CURRENCIES) or add its rates to the fx_rates seed'
            when o.value_id is not null
                then 'its period overlaps row(s) ' || o.other_ids || ' for the same goal and scope'
        end as problem
    from cleaned as c
    left join goals as g on g.goal = c.goal
    left join known_channels as k on k.channel = c.channel
    left join {{ ref('int_ad_campaigns') }} as a on a.channel = c.channel and a.campaign_id = c.campaign_id
    left join currencies as cur on cur.currency = c.currency
    left join overlapping_rows as o on o.value_id = c.value_id
),

problem_listing as (
    select string_agg(distinct 'Conversion value row ' || coalesce(value_id, '?') || ': ' || problem, '; ') as listing
    from checked
    where problem is not null
)

select
    value_id,
    goal,
    channel,
    campaign_id,
    period_start,
    period_end,
    case
        when (select pl.listing from problem_listing as pl) is not null
            then error(
                (select pl.listing from problem_listing as pl)
                || ' (in ' || {{ sql_string(values_file) }} || '). Fix the rows and re-run.'
            )
        else coalesce(value, (close_rate * deal_value)::decimal(18, 2))
    end                                                   as value_per_conversion,
    currency,
    use_reported_value,
    close_rate,
    deal_value,
    note
from checked
