-- The tables `social-roi demo` and `social-roi sync` print after a run, in this order, each under
-- the heading its "report" comment gives. Not run by dbt: the CLI reads this file and runs the
-- queries on the warehouse (any of them also works with `social-roi sql`).

-- report: Platform-claimed and GA4-observed side by side; over_claim = claimed on the website / GA4 key events.
select
    channel,
    media_type,
    campaigns,
    round(spend) as spend,
    round(other_costs) as other_costs,
    round(total_cost) as total_cost,
    platform_conversions - platform_only_conversions as claimed_web,
    platform_only_conversions as on_platform,  -- lead forms and shop purchases: GA4 cannot see them
    round(platform_conversion_value) as claimed_value,
    ga4_key_events,
    round(ga4_revenue) as ga4_revenue,
    round(over_claim_ratio, 2) as over_claim,
    round(roas, 2) as roas,
    round(roi, 2) as roi
from marts.roi_by_channel
order by spend desc, channel asc, media_type asc;

-- report: ROI by campaign; return = revenue + the agreed value of leads, sign-ups and registrations
select
    channel,
    campaign_name,
    verdict_basis as judged_on,
    round(spend) as spend,
    round(total_cost) as total_cost,
    purchases_ga4 as purchases,
    leads_ga4 + sign_ups_ga4 + registrations_ga4 as leads_signups,
    round(ga4_revenue) as ga4_revenue,
    round(valued_conversions_value) as valued_conv,
    round(return_value) as return_value,
    round(roas_ga4_observed, 2) as roas_ga4,
    round(cpm) as cpm,
    round(roi, 2) as roi,
    roi_null_reason
from marts.roi_by_campaign
order by roi desc nulls last;

-- report: Organic audience per month; growth = (followers at the end - at the month's eve) / at the eve
select
    month,
    network,
    followers_start,
    followers_end,
    round(follower_growth_rate, 4) as growth,
    followers_gained as gained,
    followers_lost as lost,
    engagements
from marts.follower_growth_monthly
order by month desc, network asc;

-- report: Organic posts that engaged most
select
    network,
    published_date,
    left(post_text, 50) as post,
    engagements,
    lifetime_reach as reach,
    round(engagement_rate_by_lifetime_reach, 3) as eng_rate,
    permalink
from marts.posts
order by engagements desc, published_date desc
limit 5;

-- report: KPI targets
select
    target_id,
    metric,
    channel,
    period_start,
    period_end,
    direction,
    target_value,
    round(actual_value, 2) as actual,
    status
from marts.kpi_progress;

-- report: Matched nothing (spend without tracked traffic / revenue without a known campaign)
select
    problem,
    channel,
    campaign_or_utm,
    currency,
    round(spend, 2) as spend,
    sessions,
    round(revenue, 2) as revenue
from marts.unmatched_campaigns
order by problem, channel;
