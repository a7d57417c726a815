{{ config(materialized='table') }}
-- Which goal each platform's conversion events count for (config/conversion_goals.csv, or the file
-- named by SOCIAL_ROI_CONVERSION_GOALS), validated row by row like the cost ledger: bad rows stop
-- the build with one message naming every one of them and the fix. One row per platform, event and
-- campaign (and one without a campaign): a second would count the event twice.
{%- set goals_file = env_var('SOCIAL_ROI_CONVERSION_GOALS', '../config/conversion_goals.csv') %}
{%- set platforms = ad_channels() + ['ga4'] %}
{%- set places = ['website', 'platform'] %}
with goals as (
    select
        -- the file's line (its header is line 1), for the message
        row_number() over () + 1                   as file_line,
        nullif(lower(trim(platform)), '')          as platform,
        nullif(trim(event), '')                    as event_name,
        nullif(lower(trim(goal)), '')              as goal,
        nullif(lower(trim(counted_on)), '')        as counted_on,
        nullif(trim(campaign_id), '')              as campaign_id,
        note
    from read_csv({{ sql_string(goals_file) }}, header = true, columns = {
        'platform': 'VARCHAR', 'event': 'VARCHAR', 'goal': 'VARCHAR', 'counted_on': 'VARCHAR',
        'campaign_id': 'VARCHAR', 'note': 'VARCHAR'
    })
),

checked as (
    select
        *,
        case
            when platform is null
                then 'line ' || file_line || ': platform is empty: use one of {{ platforms | join(", ") }}'
            when platform not in ({{ quoted_list(platforms) }})
                then 'line ' || file_line || ': platform ''' || platform
                || ''' is not one of {{ platforms | join(", ") }}'
            when event_name is null then 'line ' || file_line || ': event is empty: name the platform''s event'
            when goal is null then 'line ' || file_line || ': goal is empty: name the goal the event counts for'
            when counted_on not in ({{ quoted_list(places) }})
                then 'line ' || file_line || ': counted_on ''' || counted_on
                || ''' is not website or platform (leave it empty for website)'
            when count(*) over (partition by platform, event_name, campaign_id) > 1
                then 'lines '
                || string_agg(file_line::varchar, ' and ' order by file_line)
                    over (partition by platform, event_name, campaign_id)
                || ' both map ' || platform || ' event ''' || event_name || ''''
                || coalesce(' of campaign ' || campaign_id, ' without a campaign_id')
                || ' (its conversions would count twice): keep one of them'
        end as problem
    from goals
),

problem_listing as (
    {{ config_problem_listing('conversion_goals', 'checked') }}
)

select
    platform,
    event_name,
    {{ stop_on_config_problems('goal', 'problem_listing', goals_file) }} as goal,
    counted_on,
    campaign_id,
    note
from checked
