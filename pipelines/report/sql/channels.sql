-- The ad channels' ROI rows for the period, paid and organic apart: the channel that spent most first.
select *
from ad_channel_rows($start, $end)
order by sum(spend) over (partition by channel) desc, channel, media_type = 'organic', media_type
