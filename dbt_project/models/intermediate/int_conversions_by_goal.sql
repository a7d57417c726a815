-- Every conversion of the built window by goal (config/conversion_goals.csv names each platform's
-- events): what the ad platforms claim per campaign (Meta's action types, LinkedIn's conversion
-- rules and Lead Gen Form leads) and what GA4 observed (key events per event name, on the channel,
-- media type and campaign of the traffic row they belong to). Money in the source's currency.
-- A GA4 key event or LinkedIn rule the file does not name counts as goal `other`; Meta action
-- types it does not name are not conversions (most are clicks, views and engagement).
-- `counted_on` keeps the claims GA4 can never see (lead forms, shop purchases on the platform:
-- `platform`) apart from those made on the website. A row for a campaign wins over the
-- platform-wide row for the same event: a pixel Lead fired on a sign-up counts as a sign-up there.
with goals as (
    select
        lower(trim(platform))                              as platform,
        event_name,
        lower(trim(goal))                                  as goal,
        coalesce(lower(trim(counted_on)), 'website')       as counted_on,
        nullif(trim(campaign_id), '')                      as campaign_id
    from {{ ref('stg_config__conversion_goals') }}
),

-- (the file holds one row per platform, event and campaign, and one without a campaign: joining
-- each apart never fans a row out)
platform_wide as (
    select * from goals
    where campaign_id is null
),

per_campaign as (
    select * from goals
    where campaign_id is not null
),

campaign_days as (
    select date_day, channel, account_id, campaign_id, currency from {{ ref('int_campaign_day') }}
),

meta as (
    select
        a.date_day, 'meta' as channel, a.account_id, a.campaign_id,
        coalesce(c.goal, p.goal)                           as goal,
        coalesce(c.counted_on, p.counted_on)               as counted_on,
        sum(a.action_count) as conversions, sum(a.action_value) as conversion_value
    from {{ ref('stg_meta__actions') }} as a
    left join per_campaign as c
        on c.platform = 'meta' and c.event_name = a.action_type and c.campaign_id = a.campaign_id
    left join platform_wide as p on p.platform = 'meta' and p.event_name = a.action_type
    where {{ in_date_window('a.date_day') }} and coalesce(c.goal, p.goal) is not null
    group by all
),

linkedin_rule_goals as (
    -- a rule is mapped by its campaign's row first, then by its name (the advertiser's own) before its type
    select c.*, coalesce(g.goal, 'other') as goal, coalesce(g.counted_on, 'website') as counted_on
    from {{ ref('stg_linkedin__conversions') }} as c
    left join goals as g
        on g.platform = 'linkedin' and g.event_name in (c.conversion_name, c.conversion_type)
        and (g.campaign_id is null or g.campaign_id = c.campaign_id)
    where {{ in_date_window('c.date_day') }}
    qualify row_number() over (
        partition by c.date_day, c.account_id, c.campaign_id, c.conversion_id
        order by (g.campaign_id is not null) desc nulls last, (g.event_name = c.conversion_name) desc nulls last
    ) = 1
),

linkedin_rules as (
    select
        date_day, channel, account_id, campaign_id, goal, counted_on,
        sum(conversions) as conversions, sum(conversion_value) as conversion_value
    from linkedin_rule_goals
    group by all
),

linkedin_forms as (
    -- Lead Gen Form leads are not a conversion rule: adAnalytics counts them as oneClickLeads
    select
        a.date_day, a.channel, a.account_id, a.campaign_id,
        coalesce(c.goal, p.goal)                           as goal,
        coalesce(c.counted_on, p.counted_on)               as counted_on,
        sum(a.one_click_leads) as conversions, cast(0 as decimal(18, 2)) as conversion_value
    from {{ ref('stg_linkedin__campaign_analytics') }} as a
    left join per_campaign as c
        on c.platform = 'linkedin' and c.event_name = 'ONE_CLICK_LEADS' and c.campaign_id = a.campaign_id
    left join platform_wide as p on p.platform = 'linkedin' and p.event_name = 'ONE_CLICK_LEADS'
    where {{ in_date_window('a.date_day') }} and a.one_click_leads > 0 and coalesce(c.goal, p.goal) is not null
    group by all
),

claimed as (
    select p.*, 'paid' as media_type, d.currency
    from (
        select * from meta  -- noqa: AM07
        union all by name
        select * from linkedin_rules
        union all by name
        select * from linkedin_forms
    ) as p
    join campaign_days as d using (date_day, channel, account_id, campaign_id)
),

observed as (
    -- GA4 only sees the website
    select
        k.date_day,
        coalesce(t.channel, 'other')                          as channel,
        coalesce(t.media_type, 'other')                       as media_type,
        t.account_id,
        coalesce(t.campaign_id, t.organic_campaign_id)        as campaign_id,
        coalesce(c.goal, p.goal, 'other')                     as goal,
        'website'                                             as counted_on,
        k.currency,
        sum(k.key_events)                                     as key_events,
        sum(k.event_value)                                    as event_value
    from {{ ref('stg_ga4__key_events') }} as k
    left join {{ ref('ga4_traffic_by_campaign') }} as t
        on t.date_day = k.date_day
        and t.property_id = k.property_id
        and t.source = k.source_as_sent
        and t.medium = k.medium_as_sent
        and t.utm_campaign is not distinct from k.utm_campaign
        and t.utm_id is not distinct from k.utm_id
    left join per_campaign as c
        on c.platform = 'ga4' and c.event_name = k.event_name
        and c.campaign_id = coalesce(t.campaign_id, t.organic_campaign_id)
    left join platform_wide as p on p.platform = 'ga4' and p.event_name = k.event_name
    where {{ in_date_window('k.date_day') }}
    group by all
)

select
    date_day, channel, media_type, account_id, campaign_id, goal, counted_on, currency,
    conversions as platform_conversions, conversion_value as platform_conversion_value,
    cast(null as double) as ga4_key_events, cast(null as decimal(18, 2)) as ga4_event_value
from claimed
union all by name
select
    date_day, channel, media_type, account_id, campaign_id, goal, counted_on, currency,
    cast(null as double) as platform_conversions, cast(null as decimal(18, 2)) as platform_conversion_value,
    key_events as ga4_key_events, event_value as ga4_event_value
from observed
