-- The KPI targets whose own period overlaps the report's, measured as of the report's last day
-- (marts.kpi_progress_until: a target that runs on past the period counts none of its later days),
-- with the campaign's latest name.
select k.*, c.campaign_name
from marts.kpi_progress_until($end) as k
left join (
    select campaign_id, arg_max(campaign_name, last_day) as campaign_name
    from marts.roi_by_campaign
    where campaign_id is not null
    group by campaign_id
) as c on c.campaign_id = k.campaign_id
where k.period_start <= $end and k.period_end >= $start
order by k.period_start, k.target_id
