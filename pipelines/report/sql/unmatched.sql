-- What matched nothing over the report's own days (marts.unmatched_campaigns_between: the lifetime
-- mart's definition for any window), the largest amounts first.
select *
from marts.unmatched_campaigns_between($start, $end)
order by problem, coalesce(spend_reporting, 0) desc, coalesce(revenue, 0) desc, campaign_or_utm
