-- Meta's `actions` and `action_values` arrays unnested: one row per raw row × action type.
-- A recursive unnest yields the struct's fields (action_type, value) as columns: nothing to alias.
with counts as (
    select date_day, account_id, campaign_id, ad_id, unnest(actions, recursive := true)  -- noqa: AL03
    from {{ ref('stg_meta__insights') }}
),

action_values as (
    select date_day, account_id, campaign_id, ad_id, unnest(action_values, recursive := true)  -- noqa: AL03
    from {{ ref('stg_meta__insights') }}
)

select
    coalesce(c.date_day, v.date_day)       as date_day,
    coalesce(c.account_id, v.account_id)   as account_id,
    coalesce(c.campaign_id, v.campaign_id) as campaign_id,
    coalesce(c.ad_id, v.ad_id)             as ad_id,
    coalesce(c.action_type, v.action_type) as action_type,
    coalesce(c.value, 0)                   as action_count,
    -- money as decimals: sums of doubles vary in the last digit with aggregation order
    cast(coalesce(v.value, 0) as decimal(18, 2)) as action_value
from counts as c
full outer join action_values as v
    on  c.date_day = v.date_day
    and c.account_id = v.account_id
    and c.campaign_id = v.campaign_id
    and c.ad_id is not distinct from v.ad_id
    and c.action_type = v.action_type
