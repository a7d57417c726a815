{{ config(materialized='table') }}
-- How each platform's campaign objective is judged (config/campaign_objectives.csv, or the file
-- named by SOCIAL_ROI_CAMPAIGN_OBJECTIVES), validated row by row like the cost ledger: bad rows
-- stop the build with one message naming every one of them and the fix.
{%- set objectives_file = env_var('SOCIAL_ROI_CAMPAIGN_OBJECTIVES', '../config/campaign_objectives.csv') %}
{%- set bases = ['awareness', 'consideration', 'conversion'] %}
with objectives as (
    select
        -- the file's line (its header is line 1), for the message
        row_number() over () + 1                   as file_line,
        nullif(lower(trim(platform)), '')          as platform,
        -- as the platform reports it (Meta's and LinkedIn's objectives are in capitals)
        nullif(trim(objective), '')                as objective,
        nullif(lower(trim(verdict_basis)), '')     as verdict_basis,
        note
    from read_csv({{ sql_string(objectives_file) }}, header = true, columns = {
        'platform': 'VARCHAR', 'objective': 'VARCHAR', 'verdict_basis': 'VARCHAR', 'note': 'VARCHAR'
    })
),

checked as (
    select
        *,
        case
            when platform is null or objective is null
                then 'line ' || file_line || ': platform and objective are required'
            when verdict_basis is null
                then 'line ' || file_line || ': verdict_basis is empty: use one of {{ bases | join(", ") }}'
            when verdict_basis not in ({{ quoted_list(bases) }})
                then 'line ' || file_line || ': verdict_basis ''' || verdict_basis
                || ''' is not one of {{ bases | join(", ") }}'
            when count(*) over (partition by platform, objective) > 1
                then 'lines '
                || string_agg(file_line::varchar, ' and ' order by file_line) over (partition by platform, objective)
                || ' both judge ' || platform || ' objective ' || objective || ': keep one of them'
        end as problem
    from objectives
),

problem_listing as (
    {{ config_problem_listing('campaign_objectives', 'checked') }}
)

select
    platform,
    objective,
    {{ stop_on_config_problems('verdict_basis', 'problem_listing', objectives_file) }} as verdict_basis,
    note
from checked
