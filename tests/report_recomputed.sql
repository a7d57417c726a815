-- The report's money figures recomputed from the raw tables and the user's configuration alone, for
-- tests/test_report_recomputed.py: none of the warehouse's staging, intermediate or mart relations,
-- none of the report's queries. Each rule is the one DECISIONLOG.md documents, written anew here.
-- Statements run in order on a read-only connection (temporary tables only), with the parameters
-- $ledger, $conversion_values, $channel_mapping, $campaign_mapping and $conversion_goals (file
-- paths). `utm_key(text, long)` is a Python function the test registers: the documented
-- normalisation of campaign names and UTM tags.
-- The last one, `recomputed_facts`, holds one row per day × channel × media type × campaign.

-- An amount in kroner rounded to the cent, as an exact decimal (sums of it stay exact).
create or replace temp macro cents(amount) as cast(round(amount, 2) as decimal(18, 2));

-- Exchange rates: NOK per unit of each currency on each day, Norges Bank's latest published rate on
-- or before that day and at most 7 days old (raw.fx_rates is NOK per ONE unit).
create temp table recomputed_rates as
with currencies as (
    select distinct upper(base_currency) as currency from raw.fx_rates where upper(quote_currency) = 'NOK'
),

calendar as (
    select cast(unnest(generate_series(min(rate_date), max(rate_date) + 7, interval 1 day)) as date) as date_day
    from raw.fx_rates
)

select
    currencies.currency,
    calendar.date_day,
    (
        select arg_max(cast(published.rate as double), published.rate_date)
        from raw.fx_rates as published
        where
            upper(published.base_currency) = currencies.currency
            and upper(published.quote_currency) = 'NOK'
            and published.rate_date between calendar.date_day - 7 and calendar.date_day
    ) as nok_per_unit
from currencies
cross join calendar
union all
select 'NOK' as currency, date_day, 1.0 as nok_per_unit
from calendar;

-- Ad campaigns per day, summed over ads (Meta may land rows per ad): spend in the account currency,
-- impressions, link clicks (Meta's inline link clicks, LinkedIn's landing page clicks).
create temp table recomputed_campaign_days as
with days as (
    select
        cast(date as date) as date_day, 'meta' as channel, account_id, campaign_id, campaign_name,
        upper(account_currency) as currency, spend, impressions, inline_link_clicks as link_clicks
    from raw.meta_ads_insights
    union all
    select
        cast(date as date) as date_day, 'linkedin' as channel, account_id, campaign_id, campaign_name,
        upper(currency) as currency, cost_in_local_currency as spend, impressions, landing_page_clicks as link_clicks
    from raw.linkedin_ads_analytics
)

select
    days.date_day, days.channel, days.account_id, days.campaign_id, days.currency,
    max(days.campaign_name) as campaign_name,
    sum(cast(days.spend as decimal(18, 2))) as spend,
    sum(days.spend) * any_value(rates.nok_per_unit) as spend_nok_exact,
    coalesce(sum(days.impressions), 0) as impressions,
    coalesce(sum(days.link_clicks), 0) as link_clicks
from days
left join recomputed_rates as rates on rates.currency = days.currency and rates.date_day = days.date_day
group by all;

-- Every campaign ever loaded, with its latest name and account.
create temp table recomputed_campaigns as
select
    channel, campaign_id,
    arg_max(account_id, date_day) as account_id,
    arg_max(campaign_name, date_day) as campaign_name
from recomputed_campaign_days
group by channel, campaign_id;

-- The cost ledger: each entry's amount (or hours × hourly rate) spread evenly over its period's
-- days, up to the last day an ad platform has data, converted at the day's rate; a named campaign
-- takes its entry whole, a channel's entry goes to the campaigns that spent that day by their share
-- of the day's spend in kroner, and stays with the channel on a day nobody spent.
create temp table recomputed_other_costs as
with entries as (
    select
        entry_id,
        lower(trim(channel)) as channel,
        nullif(trim(campaign_id), '') as campaign_id,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        upper(trim(currency)) as currency,
        coalesce(
            cast(nullif(amount, '') as decimal(18, 2)),
            cast(cast(hours as double) * cast(hourly_rate as double) as decimal(18, 2))
        ) as amount
    from read_csv($ledger, header = true, all_varchar = true)
),

entry_days as (
    select
        entries.*,
        cast(unnest(generate_series(
            entries.period_start,
            least(entries.period_end, (select max(loaded.date_day) from recomputed_campaign_days as loaded)),
            interval 1 day
        )) as date) as date_day
    from entries
),

in_kroner as (
    select
        entry_days.*,
        entry_days.amount / (entry_days.period_end - entry_days.period_start + 1) * rates.nok_per_unit as nok
    from entry_days
    join recomputed_rates as rates on rates.currency = entry_days.currency and rates.date_day = entry_days.date_day
),

spenders as (
    select
        date_day, channel, campaign_id,
        spend_nok_exact / sum(spend_nok_exact) over (partition by date_day, channel) as share
    from recomputed_campaign_days
    where spend_nok_exact > 0
)

select in_kroner.date_day, in_kroner.channel, in_kroner.campaign_id, in_kroner.nok
from in_kroner
where in_kroner.campaign_id is not null
union all
select in_kroner.date_day, in_kroner.channel, spenders.campaign_id, in_kroner.nok * coalesce(spenders.share, 1)
from in_kroner
left join spenders on spenders.date_day = in_kroner.date_day and spenders.channel = in_kroner.channel
where in_kroner.campaign_id is null;

-- GA4 traffic rows with their channel (the channel_mapping row naming the source exactly wins over
-- a `*` one, then the one naming the medium exactly), whether the traffic was bought (GA4's Paid
-- Social medium rule on an ad channel, unless the mapping says) and the campaign its tags name: the
-- campaign_mapping file, else a campaign id in utm id or utm campaign, else a campaign name whose
-- key no other campaign of the channel shares. Only bought traffic counts for a campaign.
create temp table recomputed_traffic as
with mapping as (
    select
        lower(trim(source)) as source, lower(trim(medium)) as medium, channel,
        nullif(lower(trim(media_type)), '') as media_type
    from read_csv($channel_mapping, header = true, all_varchar = true)
),

traffic as (
    select
        *,
        cast(date as date) as date_day,
        lower(trim(session_source)) as source_key,
        lower(trim(session_medium)) as medium_key,
        utm_key(session_campaign_name, false) as utm_campaign_key
    from raw.ga4_traffic
),

channelled as (
    select traffic.*, coalesce(best.channel, 'other') as channel, best.media_type as mapped_media_type
    from traffic
    left join lateral (
        select mapping.channel, mapping.media_type
        from mapping
        where mapping.source in (traffic.source_key, '*') and mapping.medium in (traffic.medium_key, '*')
        order by mapping.source = '*', mapping.medium = '*'
        limit 1
    ) as best on true
),

typed as (
    select
        * exclude (mapped_media_type),
        case
            when mapped_media_type is not null then mapped_media_type
            when channel not in ('meta', 'linkedin') then 'other'
            when regexp_full_match(medium_key, '.*cp.*|ppc|retargeting|paid.*') then 'paid'
            else 'organic'
        end as media_type
    from channelled
),

seeded as (
    select
        lower(trim(channel)) as channel,
        utm_key(utm_campaign, false) as utm_campaign_key,
        trim(campaign_id) as campaign_id
    from read_csv($campaign_mapping, header = true, all_varchar = true)
),

name_keys as (
    select channel, campaign_id, name_key
    from (
        select channel, campaign_id, utm_key(campaign_name, false) as name_key from recomputed_campaigns
        union
        select channel, campaign_id, utm_key(campaign_name, true) as name_key from recomputed_campaigns
    ) as spellings
    qualify count(*) over (partition by channel, name_key) = 1
),

matched as (
    select
        typed.*,
        coalesce(
            seeded.campaign_id,
            (
                select any_value(c.campaign_id) from recomputed_campaigns as c
                where
                    c.channel = typed.channel
                    and c.campaign_id in (typed.session_campaign_id, typed.session_campaign_name)
            ),
            (
                select any_value(k.campaign_id) from name_keys as k
                where k.channel = typed.channel and k.name_key = typed.utm_campaign_key
            )
        ) as tagged_campaign_id
    from typed
    left join seeded on seeded.channel = typed.channel and seeded.utm_campaign_key = typed.utm_campaign_key
)

select
    matched.*,
    case when matched.media_type = 'paid' then matched.tagged_campaign_id end as campaign_id
from matched;

-- Key events on the traffic row they belong to, by goal (the conversion_goals file's GA4 events;
-- others are goal `other`), valued by the most specific row of the conversion values file: a value
-- per conversion (or close rate × deal value) in its currency at the day's rate, or GA4's own event
-- value. Purchases have no value row: their revenue is the return.
create temp table recomputed_conversions as
with goals as (
    select trim(event) as event_name, lower(trim(goal)) as goal, nullif(trim(campaign_id), '') as campaign_id
    from read_csv($conversion_goals, header = true, all_varchar = true)
    where lower(trim(platform)) = 'ga4'
),

events as (
    select
        traffic.date_day, traffic.channel, traffic.media_type, traffic.campaign_id, traffic.tagged_campaign_id,
        coalesce(
            (
                select any_value(g.goal) from goals as g
                where g.event_name = k.event_name and g.campaign_id = traffic.tagged_campaign_id
            ),
            (
                select any_value(g.goal) from goals as g
                where g.event_name = k.event_name and g.campaign_id is null
            ),
            'other'
        ) as goal,
        upper(k.currency) as currency,
        k.key_events,
        k.event_value
    from raw.ga4_key_events as k
    join recomputed_traffic as traffic
        on traffic.date_day = cast(k.date as date)
        and traffic.property_id = k.property_id
        and traffic.session_source = k.session_source
        and traffic.session_medium = k.session_medium
        and traffic.session_campaign_name is not distinct from k.session_campaign_name
        and traffic.session_campaign_id is not distinct from k.session_campaign_id
),

agreed as (
    select
        value_id,
        lower(trim(goal)) as goal,
        nullif(lower(trim(channel)), '') as channel,
        nullif(trim(campaign_id), '') as campaign_id,
        coalesce(cast(nullif(period_start, '') as date), date '1900-01-01') as period_start,
        coalesce(cast(nullif(period_end, '') as date), date '2999-12-31') as period_end,
        coalesce(
            cast(nullif(value, '') as decimal(18, 2)),
            cast(
                cast(nullif(close_rate, '') as double) * cast(nullif(deal_value, '') as decimal(18, 2))
                as decimal(18, 2)
            )
        ) as value,
        upper(nullif(trim(currency), '')) as currency,
        nullif(lower(trim(use_reported_value)), '') as use_reported_value
    from read_csv($conversion_values, header = true, all_varchar = true)
),

grouped as (
    select
        date_day, channel, media_type, coalesce(campaign_id, tagged_campaign_id) as campaign_id, goal, currency,
        sum(key_events) as key_events, sum(event_value) as event_value
    from events
    group by all
),

valued as (
    select
        grouped.*,
        (
            select arg_max(
                {'value': a.value, 'currency': a.currency, 'use_reported_value': a.use_reported_value},
                (a.campaign_id is not null)::int * 2 + (a.channel is not null)::int
            )
            from agreed as a
            where
                a.goal = grouped.goal and grouped.date_day between a.period_start and a.period_end
                and (a.channel is null or a.channel = grouped.channel)
                and (a.campaign_id is null or a.campaign_id = grouped.campaign_id)
        ) as agreement
    from grouped
)

select
    valued.date_day, valued.channel, valued.media_type, valued.campaign_id, valued.goal, valued.key_events,
    case
        when valued.agreement.use_reported_value = 'ga4' then cents(valued.event_value * own.nok_per_unit)
        else cents(valued.key_events * coalesce(valued.agreement.value * agreed_rate.nok_per_unit, 0))
    end as valued_nok
from valued
left join recomputed_rates as own on own.currency = valued.currency and own.date_day = valued.date_day
left join recomputed_rates as agreed_rate
    on agreed_rate.currency = valued.agreement.currency and agreed_rate.date_day = valued.date_day;

-- Everything above at day × channel × media type × campaign, money in kroner rounded to the cent
-- per campaign-day as the decision log says. `organic_pages` marks the organic pages' own days (an
-- ad channel's organic row exists for them even without traffic).
create temp table recomputed_facts as
with media as (
    select
        date_day, channel, 'paid' as media_type, campaign_id, campaign_name,
        cents(spend_nok_exact) as spend, cents(0) as other_costs, impressions, link_clicks
    from recomputed_campaign_days
),

other as (
    select date_day, channel, 'paid' as media_type, campaign_id, cents(sum(nok)) as other_costs
    from recomputed_other_costs
    group by all
),

web as (
    select
        traffic.date_day, traffic.channel, traffic.media_type,
        coalesce(traffic.campaign_id, traffic.tagged_campaign_id) as campaign_id,
        sum(traffic.sessions) as ga4_sessions,
        cents(sum(cast(traffic.total_revenue as decimal(18, 2)) * rates.nok_per_unit)) as revenue
    from recomputed_traffic as traffic
    join recomputed_rates as rates on rates.currency = upper(traffic.currency) and rates.date_day = traffic.date_day
    group by all
),

conversions as (
    select
        date_day, channel, media_type, campaign_id,
        sum(valued_nok) as valued,
        sum(key_events) filter (where goal = 'purchase') as purchases,
        sum(key_events) filter (where goal = 'lead') as leads,
        sum(key_events) filter (where goal = 'sign_up') as sign_ups,
        sum(key_events) filter (where goal = 'registration') as registrations
    from recomputed_conversions
    group by all
),

organic_pages as (
    select cast(date as date) as date_day, 'meta' as channel from raw.facebook_page_insights
    union
    select cast(date as date) as date_day, 'meta' as channel from raw.instagram_account_insights
    union
    select cast(date as date) as date_day, 'linkedin' as channel from raw.linkedin_organization_daily
)

select date_day, channel, media_type, campaign_id, campaign_name, spend, other_costs, impressions, link_clicks
from media
union all by name
select date_day, channel, media_type, campaign_id, other_costs from other
union all by name
select * from web
union all by name
select * from conversions
union all by name
select date_day, channel, 'organic' as media_type, true as organic_pages from organic_pages
