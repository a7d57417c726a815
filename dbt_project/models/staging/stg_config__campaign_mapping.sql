{{ config(materialized='table') }}
-- Overrides for matching GA4 traffic to ad campaigns (config/campaign_mapping.csv, or the file
-- named by SOCIAL_ROI_CAMPAIGN_MAPPING), with the key the traffic is joined on, validated row by
-- row like the cost ledger: bad rows stop the build with one message naming every one of them and
-- the fix. Two rows of one channel that normalise to the same key ('nc-prospect-q4' and 'NC
-- Prospect Q4') would attach the campaign's traffic twice and double its revenue: they are named
-- together.
{%- set mapping_file = env_var('SOCIAL_ROI_CAMPAIGN_MAPPING', '../config/campaign_mapping.csv') %}
with mapping as (
    select
        -- the file's line (its header is line 1), for the message
        row_number() over () + 1                   as file_line,
        nullif(lower(trim(channel)), '')           as channel,
        utm_campaign,
        {{ normalize_utm('utm_campaign') }}        as utm_campaign_key,
        nullif(trim(campaign_id), '')              as campaign_id,
        note
    from read_csv({{ sql_string(mapping_file) }}, header = true, columns = {
        'channel': 'VARCHAR', 'utm_campaign': 'VARCHAR', 'campaign_id': 'VARCHAR', 'note': 'VARCHAR'
    })
),

checked as (
    select
        *,
        case
            when channel is null then 'line ' || file_line || ': channel is empty: name the campaign''s channel'
            when nullif(utm_campaign_key, '') is null
                then 'line ' || file_line
                || ': utm_campaign has no letter or digit: write the utm_campaign value as tagged'
            when campaign_id is null
                then 'line ' || file_line || ': campaign_id is empty: give the ad platform''s id of the campaign'
            when count(*) over (partition by channel, utm_campaign_key) > 1
                then 'rows '
                || string_agg('''' || utm_campaign || '''', ' and ' order by utm_campaign)
                    over (partition by channel, utm_campaign_key)
                || ' (channel ' || channel || ') both normalise to ' || utm_campaign_key
                || ' (lines ' || string_agg(file_line::varchar, ' and ' order by utm_campaign)
                    over (partition by channel, utm_campaign_key)
                || '), so the same traffic would count twice: keep one of them'
        end as problem
    from mapping
),

problem_listing as (
    {{ config_problem_listing('campaign_mapping', 'checked') }}
)

select
    channel,
    utm_campaign,
    {{ stop_on_config_problems('utm_campaign_key', 'problem_listing', mapping_file) }} as utm_campaign_key,
    campaign_id,
    note
from checked
