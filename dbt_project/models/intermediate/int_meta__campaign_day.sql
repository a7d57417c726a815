-- Meta at campaign × day: delivery summed over ads (a no-op at campaign level) and the
-- configured conversion action types added up. Reach is left out: it cannot be summed over ads.
with delivery as (
    select
        date_day, channel, account_id, campaign_id, currency,
        max(campaign_name)  as campaign_name,
        sum(spend)          as spend,
        sum(impressions)    as impressions,
        sum(clicks)         as clicks,
        sum(link_clicks)    as link_clicks
    from {{ ref('stg_meta__insights') }}
    where {{ in_date_window('date_day') }}
    group by all
),

conversions as (
    select
        date_day, account_id, campaign_id,
        sum(action_count) as conversions,
        sum(action_value) as conversion_value
    from {{ ref('stg_meta__actions') }}
    where {{ in_date_window('date_day') }}
      and action_type in (
        {%- for action_type in var('meta_conversion_action_types') %}
        '{{ action_type }}'{{ "," if not loop.last }}
        {%- endfor %}
      )
    group by all
)

select
    d.*,
    coalesce(c.conversions, 0)      as conversions,
    coalesce(c.conversion_value, 0) as conversion_value
from delivery as d
left join conversions as c using (date_day, account_id, campaign_id)
