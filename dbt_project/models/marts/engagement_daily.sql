{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- Engagement per campaign and day. `engagements` is the same on every channel: reactions/likes
-- + comments + shares + saves. Each platform's own wider total (Meta post_engagement, LinkedIn
-- totalEngagements with clicks and follows) stands beside it, not comparable across channels.
select
    date_day, channel, account_id, campaign_id, campaign_name,
    impressions,
    reach                                                  as reach_daily,
    reactions,
    comments,
    shares,
    saves,
    follows,
    video_views,
    reactions + comments + shares + saves                  as engagements,
    platform_total_engagements,
    (reactions + comments + shares + saves) / nullif(impressions, 0) as engagement_rate_by_impressions,
    (reactions + comments + shares + saves) / nullif(reach, 0)       as engagement_rate_by_daily_reach
from {{ ref('int_campaign_day') }}
