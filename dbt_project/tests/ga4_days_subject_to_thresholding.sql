{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'ga4_traffic_by_campaign'}}}) }}
-- An asset check of ga4_traffic_by_campaign in Dagster: the GA4 property-days of the built window
-- whose figures GA4 says are incomplete. `subjectToThresholding`: GA4 withheld rows with few users
-- (Google signals); `dataLossFromOtherRow`: rows were folded into "(other)" because a table hit its
-- cardinality limit. Either way the day's traffic, key events and revenue are undercounted and
-- campaign matches can be missing: read those days as lower bounds.
select
    property_id,
    date_day,
    bool_or(subject_to_thresholding)   as subject_to_thresholding,
    bool_or(data_loss_from_other_row)  as data_loss_from_other_row
from {{ ref('ga4_traffic_by_campaign') }}
where {{ in_date_window('date_day') }}
group by property_id, date_day
having bool_or(subject_to_thresholding) or bool_or(data_loss_from_other_row)
