{{ config(materialized='table') }}
-- Which channel a GA4 source/medium belongs to (config/channel_mapping.csv, or the file named by
-- SOCIAL_ROI_CHANNEL_MAPPING), validated row by row like the cost ledger: bad rows stop the build
-- with one message naming every one of them and the fix. Sources, mediums, channels and media
-- types compared lower-cased and trimmed, as the traffic is matched on them.
{%- set mapping_file = env_var('SOCIAL_ROI_CHANNEL_MAPPING', '../config/channel_mapping.csv') %}
{%- set media_types = ['paid', 'organic', 'other'] %}
with mapping as (
    select
        -- the file's line (its header is line 1), for the message
        row_number() over () + 1                   as file_line,
        lower(trim(source))                        as source,
        lower(trim(medium))                        as medium,
        nullif(lower(trim(channel)), '')           as channel,
        nullif(lower(trim(media_type)), '')        as media_type
    from read_csv({{ sql_string(mapping_file) }}, header = true, columns = {
        'source': 'VARCHAR', 'medium': 'VARCHAR', 'channel': 'VARCHAR', 'media_type': 'VARCHAR'
    })
),

checked as (
    select
        *,
        case
            when nullif(source, '') is null or nullif(medium, '') is null
                then 'line ' || file_line || ': source and medium are required (`*` matches any)'
            when channel is null
                then 'line ' || file_line || ': channel is empty: name the channel the traffic belongs to'
            when count(*) over (partition by source, medium) > 1
                then 'lines '
                || string_agg(file_line::varchar, ' and ' order by file_line) over (partition by source, medium)
                || ' both map source ''' || source || ''' and medium ''' || medium
                || ''' (the traffic would count twice): keep one of them'
            when media_type not in ({{ quoted_list(media_types) }})
                then 'line ' || file_line || ': media_type ''' || media_type
                || ''' is not one of {{ media_types | join(", ") }} (leave it empty for GA4''s own rule)'
        end as problem
    from mapping
),

problem_listing as (
    {{ config_problem_listing('channel_mapping', 'checked') }}
)

select
    source,
    medium,
    {{ stop_on_config_problems('channel', 'problem_listing', mapping_file) }} as channel,
    media_type
from checked
