-- Days of the period GA4 reported as incomplete, per report (traffic, key_events): thresholded (rows
-- withheld for privacy) or folded into "(other)" (the flag, or an "(other)" row itself).
select
    date_day,
    report,
    bool_or(subject_to_thresholding)                      as subject_to_thresholding,
    bool_or(data_loss_from_other_row or other_rows > 0)   as data_loss_from_other_row
from marts.ga4_flagged_days
where date_day between $start and $end
group by date_day, report
order by report, date_day
