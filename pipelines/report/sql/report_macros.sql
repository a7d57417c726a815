-- Temporary table macros the report's queries share (they live in this read-only session only).

-- The ad channels' rows of marts.roi_by_channel_between for a period, paid and organic apart: the
-- channels that bought something or carry paid or organic traffic (meta, linkedin), read from the
-- data, not a list kept here. Direct, search, email and referral traffic are not social media.
create or replace temp macro ad_channel_rows(start_date, end_date) as table
with channels as (
    select * from marts.roi_by_channel_between(start_date, end_date)
),

ad_channels as (
    select channel
    from channels
    group by channel
    having bool_or(spend > 0 or media_type in ('paid', 'organic'))
)

select channels.*
from channels
where channel in (select channel from ad_channels);

-- The days of a period for which the warehouse holds any cost or traffic.
create or replace temp macro days_with_data(start_date, end_date) as table
select date_day from marts.cost_daily where date_day between start_date and end_date
union
select date_day from marts.conversions_daily where date_day between start_date and end_date;
