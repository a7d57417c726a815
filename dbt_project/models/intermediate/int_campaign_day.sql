-- Every ad platform's campaign days in one shape, for the built window. The platforms are the
-- ones listed in macros/ad_platforms.sql; each campaign-day model has exactly these columns.
{% for platform in ad_platforms().values() %}
select
    date_day, channel, account_id, campaign_id, campaign_name, currency, time_zone,
    spend, impressions, clicks, link_clicks, reach,
    reactions, comments, shares, saves, follows, video_views, platform_total_engagements,
    conversions, conversion_value
from {{ ref(platform.campaign_day_model) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
