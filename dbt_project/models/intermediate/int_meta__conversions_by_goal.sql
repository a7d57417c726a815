-- What Meta claims per campaign, day and goal, for the built window: the action types the
-- conversion goals name for Meta (int_conversion_goals), the campaign's own row first. Action types
-- they do not name are not conversions (most are clicks, views and engagement, and the aggregates
-- omni_purchase and lead repeat the types the file names: counting them too would count twice).
-- Money in the account's currency.
with goals as (
    select * from {{ ref('int_conversion_goals') }}
    where platform = 'meta'
)

select
    a.date_day,
    'meta'                                  as channel,
    a.account_id,
    a.campaign_id,
    coalesce(c.goal, p.goal)                as goal,
    coalesce(c.counted_on, p.counted_on)    as counted_on,
    sum(a.action_count)                     as conversions,
    sum(a.action_value)                     as conversion_value
from {{ ref('stg_meta__actions') }} as a
left join goals as c on c.event_name = a.action_type and c.campaign_id = a.campaign_id
left join goals as p on p.event_name = a.action_type and p.campaign_id is null
where {{ in_date_window('a.date_day') }} and coalesce(c.goal, p.goal) is not null
group by all
