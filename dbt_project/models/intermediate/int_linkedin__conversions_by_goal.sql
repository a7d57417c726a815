-- What LinkedIn claims per campaign, day and goal, for the built window: its conversion rules'
-- website conversions and its Lead Gen Form leads, mapped by the conversion goals
-- (int_conversion_goals). A rule the goals do not name counts as goal `other`; form leads count only
-- when the goals name ONE_CLICK_LEADS. Money in the account's currency.
with goals as (
    select * from {{ ref('int_conversion_goals') }}
    where platform = 'linkedin'
),

rule_goals as (
    -- a rule is mapped by its campaign's row first, then by its name (the advertiser's own) before its type
    select r.*, coalesce(g.goal, 'other') as goal, coalesce(g.counted_on, 'website') as counted_on
    from {{ ref('stg_linkedin__conversions') }} as r
    left join goals as g
        on g.event_name in (r.conversion_name, r.conversion_type)
        and (g.campaign_id is null or g.campaign_id = r.campaign_id)
    where {{ in_date_window('r.date_day') }}
    qualify row_number() over (
        partition by r.date_day, r.account_id, r.campaign_id, r.conversion_id
        order by (g.campaign_id is not null) desc nulls last, (g.event_name = r.conversion_name) desc nulls last
    ) = 1
),

rules as (
    select
        date_day, channel, account_id, campaign_id, goal, counted_on,
        sum(conversions) as conversions, sum(conversion_value) as conversion_value
    from rule_goals
    group by all
),

forms as (
    -- Lead Gen Form leads are not a conversion rule: adAnalytics counts them as oneClickLeads
    select
        a.date_day, a.channel, a.account_id, a.campaign_id,
        coalesce(c.goal, p.goal)                           as goal,
        coalesce(c.counted_on, p.counted_on)               as counted_on,
        sum(a.one_click_leads) as conversions, cast(0 as decimal(18, 2)) as conversion_value
    from {{ ref('stg_linkedin__campaign_analytics') }} as a
    left join goals as c on c.event_name = 'ONE_CLICK_LEADS' and c.campaign_id = a.campaign_id
    left join goals as p on p.event_name = 'ONE_CLICK_LEADS' and p.campaign_id is null
    where {{ in_date_window('a.date_day') }} and a.one_click_leads > 0 and coalesce(c.goal, p.goal) is not null
    group by all
)

select date_day, channel, account_id, campaign_id, goal, counted_on, conversions, conversion_value
from rules
union all
select date_day, channel, account_id, campaign_id, goal, counted_on, conversions, conversion_value
from forms
