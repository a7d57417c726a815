-- The mart's grain is date × channel × account × campaign: any duplicate means a window was
-- loaded twice.
select date_day, channel, account_id, campaign_id, count(*) as rows_at_grain
from {{ ref('ad_performance_daily') }}
group by all
having count(*) > 1
