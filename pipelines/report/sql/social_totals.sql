-- The headline: all social (every ad channel's paid and organic rows together), summed as
-- marts.roi_social_totals sums its 'all social' scope, for any period. Ratios are sums over sums;
-- ROI is NULL with its reason when the channels spent and GA4 saw none of their traffic.
with totals as (
    select
        count(*)                                    as channel_rows,
        list(distinct channel order by channel)     as channels,
        any_value(reporting_currency)               as reporting_currency,
        any_value(revenue_source)                   as revenue_source,
        coalesce(sum(spend), 0)                     as spend,
        coalesce(sum(other_costs), 0)               as other_costs,
        coalesce(sum(total_cost), 0)                as total_cost,
        coalesce(sum(revenue), 0)                   as revenue,
        coalesce(sum(valued_conversions_value), 0)  as valued_conversions_value,
        coalesce(sum(return_value), 0)              as return_value,
        coalesce(sum(ga4_sessions), 0)              as ga4_sessions
    from ad_channel_rows($start, $end)
)

select
    * exclude (ga4_sessions),
    revenue / nullif(spend, 0)                                                    as roas,
    case when spend > 0 and ga4_sessions = 0 and revenue_source = 'ga4' then 'no_tracked_traffic' end
                                                                                  as roi_null_reason,
    case when not (spend > 0 and ga4_sessions = 0 and revenue_source = 'ga4')
        then (return_value - total_cost) / nullif(total_cost, 0)
    end                                                                           as roi
from totals
