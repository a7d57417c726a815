{{ config(incremental_strategy='date_window', date_column='date_day') }}
-- The GA4 property-days whose figures GA4 itself says are incomplete, per report: the traffic report
-- (sessions, key events and revenue by source / medium / campaign) and the key-event report (the same
-- split by event name as well, the one GA4 thresholds and folds into "(other)" first). A day appears
-- when a response covering it came back `subjectToThresholding` (rows under GA4's privacy thresholds
-- withheld) or `dataLossFromOtherRow` (rarer dimension values folded into an "(other)" row), or when
-- one of its rows is such an "(other)" row. Read these days' GA4 figures as lower bounds.
with reports as (
    select
        date_day, property_id, 'traffic' as report, subject_to_thresholding, data_loss_from_other_row,
        '(other)' in (source_as_sent, medium_as_sent, utm_campaign, utm_id, ga4_channel_group) as is_other_row
    from {{ ref('stg_ga4__traffic') }}
    where {{ in_date_window('date_day') }}
    union all
    select
        date_day, property_id, 'key_events' as report, subject_to_thresholding, data_loss_from_other_row,
        '(other)' in (source_as_sent, medium_as_sent, utm_campaign, utm_id, event_name) as is_other_row
    from {{ ref('stg_ga4__key_events') }}
    where {{ in_date_window('date_day') }}
)

select
    date_day,
    property_id,
    report,
    bool_or(subject_to_thresholding)                  as subject_to_thresholding,
    bool_or(data_loss_from_other_row)                 as data_loss_from_other_row,
    count(*) filter (where coalesce(is_other_row, false))    as other_rows
from reports
group by date_day, property_id, report
having
    bool_or(subject_to_thresholding)
    or bool_or(data_loss_from_other_row)
    or count(*) filter (where coalesce(is_other_row, false)) > 0
