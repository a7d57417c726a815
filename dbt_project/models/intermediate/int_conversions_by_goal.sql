-- Every conversion of the built window by goal (config/conversion_goals.csv names each platform's
-- events): what the ad platforms claim per campaign (each platform's conversions model, listed in
-- macros/ad_platforms.sql) and what GA4 observed (key events per event name, on the channel,
-- media type and campaign of the traffic row they belong to). Money in the source's currency.
-- A GA4 key event the file does not name counts as goal `other`.
-- `counted_on` keeps the claims GA4 can never see (lead forms, shop purchases on the platform:
-- `platform`) apart from those made on the website. A row for a campaign wins over the
-- platform-wide row for the same event: a pixel Lead fired on a sign-up counts as a sign-up there.
with ga4_goals as (
    select * from {{ ref('int_conversion_goals') }}
    where platform = 'ga4'
),

campaign_days as (
    select date_day, channel, account_id, campaign_id, currency from {{ ref('int_campaign_day') }}
),

claimed as (
    select p.*, 'paid' as media_type, d.currency
    from (
        {%- for platform in ad_platforms().values() %}
        select date_day, channel, account_id, campaign_id, goal, counted_on, conversions, conversion_value
        from {{ ref(platform.conversions_model) }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
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
    left join {{ ref('int_ga4__traffic_by_campaign') }} as t
        on t.date_day = k.date_day
        and t.property_id = k.property_id
        and t.source = k.source_as_sent
        and t.medium = k.medium_as_sent
        and t.utm_campaign is not distinct from k.utm_campaign
        and t.utm_id is not distinct from k.utm_id
    left join ga4_goals as c
        on c.event_name = k.event_name and c.campaign_id = coalesce(t.campaign_id, t.organic_campaign_id)
    left join ga4_goals as p on p.event_name = k.event_name and p.campaign_id is null
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
