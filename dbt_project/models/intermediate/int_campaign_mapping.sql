{{ config(materialized='table') }}
-- The campaign_mapping seed with the key GA4 traffic is joined on. Two rows of one channel that
-- normalise to the same key ('nc-prospect-q4' and 'NC Prospect Q4') would attach the campaign's
-- traffic twice and double its revenue: they stop the build, naming both rows.
with mapping as (
    select
        lower(trim(channel))                       as channel,
        utm_campaign,
        {{ normalize_utm('utm_campaign') }}        as utm_campaign_key,
        trim(campaign_id)                          as campaign_id
    from {{ ref('campaign_mapping') }}
),

checked as (
    select
        *,
        string_agg('''' || utm_campaign || '''', ' and ' order by utm_campaign)
            over (partition by channel, utm_campaign_key) as rows_with_key,
        count(*) over (partition by channel, utm_campaign_key) as rows_with_same_key
    from mapping
)

select
    channel,
    case
        when rows_with_same_key > 1
            then error(
                'campaign_mapping rows ' || rows_with_key || ' (channel ' || channel || ') both normalise to '
                || utm_campaign_key || ', so the same traffic would count twice. Keep one row in'
                || ' dbt_project/seeds/campaign_mapping.csv and re-run.'
            )
        else utm_campaign_key
    end as utm_campaign_key,
    campaign_id
from checked
