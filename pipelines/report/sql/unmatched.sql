-- What matched nothing (marts.unmatched_campaigns, over every day loaded), for the rows that touch
-- the period; name collisions have no days and are always listed.
select *
from marts.unmatched_campaigns
where coalesce(first_day, $start) <= $end and coalesce(last_day, $end) >= $start
order by problem, coalesce(spend, 0) desc, coalesce(revenue, 0) desc, campaign_or_utm
