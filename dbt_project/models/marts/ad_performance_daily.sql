{{ config(
    incremental_strategy='append',
    pre_hook="{{ delete_date_window('date_day') }}",
) }}
-- One row per date × channel × account × campaign. Each run deletes its date window and inserts
-- it again in one transaction, so re-running a window never duplicates and restated days update.
{%- set platforms = [ref('int_meta__campaign_day')] %}

{% for platform in platforms %}
select
    date_day,
    channel,
    account_id,
    campaign_id,
    campaign_name,
    currency,
    spend,
    impressions,
    clicks,
    link_clicks,
    conversions       as platform_conversions,
    conversion_value  as platform_conversion_value
from {{ platform }}
where {{ in_date_window('date_day') }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
