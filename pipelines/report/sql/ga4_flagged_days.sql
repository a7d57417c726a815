-- Days of the period GA4 reported as thresholded (rows withheld for privacy) or folded into "(other)".
select
    date_day,
    coalesce(bool_or(subject_to_thresholding), false)    as subject_to_thresholding,
    coalesce(bool_or(data_loss_from_other_row), false)   as data_loss_from_other_row
from marts.ga4_traffic_by_campaign
where date_day between $start and $end
group by date_day
having coalesce(bool_or(subject_to_thresholding), false) or coalesce(bool_or(data_loss_from_other_row), false)
order by date_day
