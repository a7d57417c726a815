-- The period's campaigns by what they returned; the "no campaign" row only when it holds a cost or a return.
select *
from marts.roi_by_campaign_between($start, $end)
where campaign_id is not null or total_cost <> 0 or return_value <> 0
order by return_value desc, spend desc, campaign_name
