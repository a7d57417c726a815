{{ config(materialized='table') }}
-- The non-media cost ledger the user edits (config/cost_ledger.csv, or the file named by
-- SOCIAL_ROI_COST_LEDGER), validated row by row: bad rows stop the build with one message that
-- names every one of them and the fix, before any of it reaches a mart. An optional `media_type` column
-- books a cost to a channel's `organic` side (a community manager's hours for unpaid posts)
-- instead of its paid side (the default); ledgers without the column keep working.
{%- set ledger_file = env_var('SOCIAL_ROI_COST_LEDGER', '../config/cost_ledger.csv') %}
{%- set categories = ['staff_time', 'tools', 'agency_fees', 'content_production', 'other'] %}
{%- set has_media_type = false %}
{%- if execute %}
    {%- set header_sql = "select * from read_csv(" ~ sql_string(ledger_file) ~ ", header = true, all_varchar = true) limit 0" %}
    {%- set header = run_query(header_sql) %}
    {%- set has_media_type = 'media_type' in header.column_names %}
{%- endif %}
with ledger as (
    select *{% if not has_media_type %}, cast(null as varchar) as media_type{% endif %}
    from read_csv(
        {{ sql_string(ledger_file) }},
        header = true,
        columns = {
            'entry_id': 'VARCHAR', 'category': 'VARCHAR', 'channel': 'VARCHAR', 'campaign_id': 'VARCHAR',
            'period_start': 'DATE', 'period_end': 'DATE', 'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR',
            'hours': 'DOUBLE', 'hourly_rate': 'DECIMAL(18,2)', 'note': 'VARCHAR'
            {%- if has_media_type %}, 'media_type': 'VARCHAR'{% endif %}
        }
    )
),

known_channels as (
    {{ known_channels() }}
),

checked as (
    select
        l.*,
        case
            when l.entry_id is null then 'entry_id is empty'
            when count(*) over (partition by l.entry_id) > 1
                then 'entry_id appears ' || count(*) over (partition by l.entry_id) || ' times (it would be charged'
                || ' that many times): give each cost its own entry_id'
            when l.category not in ({{ quoted_list(categories) }})
                then 'category ' || coalesce('''' || l.category || '''', 'is empty')
                || ' is not one of {{ categories | join(", ") }}'
            when l.channel is null or k.channel is null
                then 'channel ' || coalesce('''' || l.channel || '''', 'is empty') || ' is unknown: use one of '
                || (select string_agg(kc.channel, ', ' order by kc.channel) from known_channels as kc)
            when l.period_start is null or l.period_end is null then 'period_start and period_end are required'
            when l.period_end < l.period_start
                then 'period_end ' || l.period_end || ' is before period_start ' || l.period_start
            when l.currency is null or length(trim(l.currency)) <> 3 then 'currency must be a three-letter ISO code'
            when l.hours < 0 then 'hours is negative'
            when l.amount < 0 then 'amount is negative'
            when l.hourly_rate < 0 then 'hourly_rate is negative'
            when l.category = 'staff_time' and l.amount is null and (l.hours is null or l.hourly_rate is null)
                then 'staff_time needs hours and hourly_rate (or an amount)'
            when l.category <> 'staff_time' and l.amount is null then 'amount is required'
            when lower(trim(l.media_type)) not in ('paid', 'organic')
                then 'media_type ''' || l.media_type || ''' is not paid or organic (leave it empty for paid)'
            when lower(trim(l.media_type)) = 'organic' and nullif(trim(l.campaign_id), '') is not null
                then 'an organic cost cannot name a campaign (campaigns are paid media): leave campaign_id empty'
            when nullif(trim(l.campaign_id), '') is not null and c.campaign_id is null
                then 'campaign_id ' || trim(l.campaign_id) || ' is not a ' || lower(trim(l.channel))
                || ' campaign in the warehouse: check the id (marts.roi_by_campaign lists them),'
                || ' or sync the days it ran first'
        end as problem
    from ledger as l
    left join known_channels as k on k.channel = lower(trim(l.channel))
    left join {{ ref('int_ad_campaigns') }} as c
        on c.channel = lower(trim(l.channel)) and c.campaign_id = trim(l.campaign_id)
),

problem_listing as (
    -- every bad row in one message, so that one run names all there is to fix
    select
        string_agg(distinct 'Cost ledger row ' || coalesce(entry_id, '?') || ': ' || problem, '; ')
            as listing
    from checked
    where problem is not null
)

select
    entry_id,
    category,
    lower(trim(channel))                                     as channel,
    nullif(trim(campaign_id), '')                            as campaign_id,
    case
        when lower(trim(channel)) not in ({{ quoted_list(ad_channels()) }}) then 'other'
        else coalesce(nullif(lower(trim(media_type)), ''), 'paid')
    end                                                      as media_type,
    period_start,
    period_end,
    upper(trim(currency))                                    as currency,
    case
        when (select pl.listing from problem_listing as pl) is not null
            then error(
                (select pl.listing from problem_listing as pl)
                || ' (in ' || {{ sql_string(ledger_file) }} || '). Fix the rows and re-run.'
            )
        else coalesce(amount, cast(hours * hourly_rate as decimal(18, 2)))
    end                                                      as total_amount,
    hours,
    note
from checked
