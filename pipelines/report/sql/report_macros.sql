-- Temporary table macros the report's queries share (they live in this read-only session only).

-- The ad channels' rows of marts.roi_by_channel_between for a period, paid and organic apart: the
-- channels of the ad platforms' campaigns (meta, linkedin), the ones roi_social_totals sums, read
-- from the warehouse, not a list kept here. Direct, search, email and referral traffic are not
-- social media, whatever media type a channel_mapping row gives them.
create or replace temp macro ad_channel_rows(start_date, end_date) as table
with channels as (
    select * from marts.roi_by_channel_between(start_date, end_date)
),

ad_channels as (
    select distinct channel from intermediate.int_ad_campaigns
)

select channels.*
from channels
where channel in (select channel from ad_channels);

-- The days of a period for which the warehouse holds any cost or traffic.
create or replace temp macro days_with_data(start_date, end_date) as table
select date_day from marts.cost_daily where date_day between start_date and end_date
union
select date_day from marts.conversions_daily where date_day between start_date and end_date;
