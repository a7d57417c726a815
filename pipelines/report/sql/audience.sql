-- Each network's organic audience over the period (marts.audience_between: the definitions of
-- follower growth and engagement per follower the KPI targets and follower_growth_monthly use,
-- macros/audience_query.sql), with how its follower counts were known.
select *
from marts.audience_between($start, $end)
order by network
