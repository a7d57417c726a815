-- Meta insights pages, landed as the Graph API sent them, parsed into raw.meta_ads_insights rows.
--
-- The one parameter ($1) is the landed file of one ad account: a line per page of GET /{report_run_id}/insights,
-- the page's body untouched in `page`, beside what was asked for (MetaAdsClient.insights_pages).
-- One row out per insights row in: the columns of RAW_COLUMNS and `problem` (why the row is malformed, NULL
-- when it is not).
--
-- The checks and casts are those of parse_insights_row in parsing.py, which tests/test_meta_pages.py holds
-- this file to: Graph sends numbers as strings, a metric with nothing to report is left out (zero), an
-- exponent form is accepted, money is rounded to cents as a double is, an action entry needs a type and
-- a numeric value.
--
-- A page is one JSON object to DuckDB, read whole up to maximum_object_size (16 MiB, DuckDB's own default,
-- stated so the load's failure can name it): 500 rows of Meta's insights are far below it, and a larger
-- limit buys memory the load does not have (LOAD_MEMORY_LIMIT in pipelines/warehouse.py).
with landed as (
    select
        account_id as asked_account_id,
        level,
        account_timezone,
        since,
        until,
        page_number,
        page.data as rows_of_page
    from read_json(
        $1,
        format = 'newline_delimited',
        columns = {
            account_id: 'VARCHAR',
            level: 'VARCHAR',
            account_timezone: 'VARCHAR',
            since: 'DATE',
            until: 'DATE',
            page_number: 'INTEGER',
            page: 'STRUCT(data JSON[])'
        },
        maximum_object_size = 16777216
    )
),

-- The file read a second time for the report jobs' ranges alone: cheaper than holding its pages.
job_ranges as (
    select distinct since, until
    from read_json(
        $1, format = 'newline_delimited', columns = {since: 'DATE', until: 'DATE'}, maximum_object_size = 16777216
    )
),

-- A report job whose pages failed part-way was split: its halves read every row of its range again, so
-- the rows of its own pages are left out (a row is landed once, from the job that read it whole).
split_jobs as (
    select whole.since, whole.until
    from job_ranges as whole
    semi join job_ranges as half
        on  half.since >= whole.since
        and half.until <= whole.until
        and (half.since > whole.since or half.until < whole.until)
),

wire as (
    select
        asked_account_id,
        level,
        account_timezone,
        since,
        until,
        -- a page without a data list is one NULL row: flagged below, never read as a day without delivery
        unnest(coalesce(rows_of_page, [null::json])) as wire_row
    from landed
    anti join split_jobs using (since, until)
),

fields as (
    select
        *,
        json_transform(
            wire_row,
            '{"account_id": "VARCHAR", "account_currency": "VARCHAR", "campaign_id": "VARCHAR",
              "campaign_name": "VARCHAR", "adset_id": "VARCHAR", "ad_id": "VARCHAR", "ad_name": "VARCHAR",
              "objective": "JSON", "date_start": "VARCHAR", "date_stop": "VARCHAR",
              "spend": "VARCHAR", "impressions": "VARCHAR", "reach": "VARCHAR", "frequency": "VARCHAR",
              "clicks": "VARCHAR", "inline_link_clicks": "VARCHAR",
              "actions": "JSON", "action_values": "JSON"}'
        ) as f
    from wire
),

-- A missing, null or otherwise empty value ("", {}, false, 0) is no actions, as `row.get(field) or []`
-- has it; what is left must be a list.
action_lists as (
    select
        *,
        case when cast(f.actions as varchar) in ('""', '{}', 'false', '0') then null else f.actions end as actions_json,
        case
            when cast(f.action_values as varchar) in ('""', '{}', 'false', '0') then null else f.action_values
        end as action_values_json
    from fields
),

actions as (
    select
        *,
        try_cast(actions_json as struct(action_type varchar, value varchar)[]) as action_entries,
        try_cast(action_values_json as struct(action_type varchar, value varchar)[]) as action_value_entries
    from action_lists
),

checked as (
    select
        *,
        try_cast(f.date_start as date) as day,
        case
            when wire_row is null then 'a page without a data list, or a null row'
            when not regexp_full_match(coalesce(f.date_start, ''), '\d{4}-\d{2}-\d{2}') or try_cast(f.date_start as date) is null
                then 'date_start=' || coalesce(wire_row ->> 'date_start', 'None') || ' is not a date'
            when
                f.date_stop is distinct from f.date_start
                or try_cast(f.date_start as date) not between since and until
                then 'a daily row must have date_start = date_stop within ' || since || '..' || until
            when f.account_id is distinct from asked_account_id
                then 'account_id ' || coalesce(cast(wire_row -> 'account_id' as varchar), 'None') || ' is not the account asked for'
            when coalesce(f.campaign_id, '') = '' then 'campaign_id is missing'
            when coalesce(f.account_currency, '') = '' then 'account_currency is missing'
            when level = 'ad' and coalesce(f.ad_id, '') = '' then 'ad_id is missing'
            when json_type(f.objective) not in ('VARCHAR', 'NULL')
                then 'objective=' || cast(f.objective as varchar) || ' is not a string'
            when not regexp_full_match(coalesce(f.spend, '0'), '-?\d+(\.\d+)?([eE][-+]?\d+)?')
                then 'spend=' || cast(wire_row -> 'spend' as varchar) || ' is not a number'
            when not regexp_full_match(coalesce(f.impressions, '0'), '-?\d+(\.0+)?')
                then 'impressions=' || cast(wire_row -> 'impressions' as varchar) || ' is not a number'
            when not regexp_full_match(coalesce(f.reach, '0'), '-?\d+(\.0+)?')
                then 'reach=' || cast(wire_row -> 'reach' as varchar) || ' is not a number'
            when not regexp_full_match(coalesce(f.frequency, '0'), '-?\d+(\.\d+)?([eE][-+]?\d+)?')
                then 'frequency=' || cast(wire_row -> 'frequency' as varchar) || ' is not a number'
            when not regexp_full_match(coalesce(f.clicks, '0'), '-?\d+(\.0+)?')
                then 'clicks=' || cast(wire_row -> 'clicks' as varchar) || ' is not a number'
            when not regexp_full_match(coalesce(f.inline_link_clicks, '0'), '-?\d+(\.0+)?')
                then 'inline_link_clicks=' || cast(wire_row -> 'inline_link_clicks' as varchar) || ' is not a number'
            when json_type(actions_json) not in ('ARRAY', 'NULL') then 'actions is not a list'
            when json_type(action_values_json) not in ('ARRAY', 'NULL') then 'action_values is not a list'
            when action_entries is null and json_type(actions_json) = 'ARRAY'
                or list_bool_or(list_transform(
                    action_entries,
                    lambda e: e.action_type is null or not regexp_full_match(coalesce(e.value, ''), '-?\d+(\.\d+)?([eE][-+]?\d+)?')
                ))
                then 'an actions entry lacks action_type or a numeric value'
            when action_value_entries is null and json_type(action_values_json) = 'ARRAY'
                or list_bool_or(list_transform(
                    action_value_entries,
                    lambda e: e.action_type is null or not regexp_full_match(coalesce(e.value, ''), '-?\d+(\.\d+)?([eE][-+]?\d+)?')
                ))
                then 'an action_values entry lacks action_type or a numeric value'
        end as what_is_wrong
    from actions
)

select
    asked_account_id as account_id,
    day as date,
    level,
    f.campaign_id,
    f.campaign_name,
    f.adset_id,
    f.ad_id,
    f.ad_name,
    f.account_currency,
    account_timezone,
    -- as parse_insights_row: Python's round(float(value), 2), which rounds an exact half to even
    cast(round_even(coalesce(try_cast(f.spend as double), 0), 2) as decimal(18, 2)) as spend,
    cast(coalesce(try_cast(f.impressions as double), 0) as bigint) as impressions,
    cast(coalesce(try_cast(f.reach as double), 0) as bigint) as reach,
    coalesce(try_cast(f.frequency as double), 0) as frequency,
    cast(coalesce(try_cast(f.clicks as double), 0) as bigint) as clicks,
    cast(coalesce(try_cast(f.inline_link_clicks as double), 0) as bigint) as inline_link_clicks,
    coalesce(
        list_transform(action_entries, lambda e: {'action_type': e.action_type, 'value': try_cast(e.value as double)}), []
    ) as actions,
    coalesce(
        list_transform(action_value_entries, lambda e: {'action_type': e.action_type, 'value': try_cast(e.value as double)}),
        []
    ) as action_values,
    wire_row as raw_row,
    f.objective ->> '$' as objective,
    case when what_is_wrong is not null then
        'Meta returned a malformed insights row for ad account act_' || asked_account_id || ' (' || what_is_wrong
        || '); nothing from this sync was written. Row: ' || coalesce(left(cast(wire_row as varchar), 300), 'null')
    end as problem
from checked
