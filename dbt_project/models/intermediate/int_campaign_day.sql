-- Every channel's campaign days in one shape, for the built window: the single place where a
-- new platform is added to the marts.
{%- set platforms = [ref('int_meta__campaign_day'), ref('int_linkedin__campaign_day')] %}
{% for platform in platforms %}
select
    date_day, channel, account_id, campaign_id, campaign_name, currency,
    spend, impressions, clicks, link_clicks, reach,
    reactions, comments, shares, saves, follows, video_views, platform_total_engagements,
    conversions, conversion_value
from {{ platform }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
