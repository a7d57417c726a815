-- What Spotlight claims per campaign, day and goal: its purchases, under the goal the conversion
-- goals name for its `purchases` event, else `purchase` (the platform reports them as purchases).
with goals as (
    select * from {{ ref('int_conversion_goals') }}
    where platform = 'spotlight' and event_name = 'purchases'
)

select
    s.date_day,
    s.channel,
    s.account_id,
    s.campaign_id,
    coalesce(c.goal, p.goal, 'purchase')             as goal,
    coalesce(c.counted_on, p.counted_on, 'website')  as counted_on,
    sum(s.purchases)                                 as conversions,
    sum(s.purchase_value)                            as conversion_value
from {{ ref('stg_spotlight__campaign_days') }} as s
left join goals as c on c.campaign_id = s.campaign_id
left join goals as p on p.campaign_id is null
where {{ in_date_window('s.date_day') }} and s.purchases > 0
group by all
