-- Non-media costs spread evenly over the days of their period (in the built window), converted
-- to the reporting currency, and given to campaigns: to the named campaign, else across the
-- channel's campaigns by their share of that day's spend. A cost of a channel's organic side stays
-- the channel's (media_type organic). A day on which the channel spent
-- nothing keeps the cost at channel level (campaign_id null), so no cost is ever lost. `currency`
-- is the ledger entry's own: marts.fx_rates_applied lists the rates its days were converted at.
with entries as (
    select
        *,
        total_amount / (period_end - period_start + 1) as daily_amount
    from {{ ref('int_cost_ledger') }}
),

last_loaded as (
    -- Costs are charged only up to the last day any ad platform's data is loaded: a bare
    -- `dbt build` must not charge December's share of a Q4 retainer in November.
    select coalesce(max(date_day), date '1900-01-01') as last_day
    from (
        {%- for platform in ad_platforms().values() %}
        select max(date_day) as date_day from {{ ref(platform.staging_model) }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
),

entry_days as (
    select
        e.entry_id, e.category, e.channel, e.campaign_id, e.media_type, e.currency, e.daily_amount,
        cast(period_days.day as date) as date_day
    from entries as e
    cross join last_loaded as l,
        generate_series(
            greatest(e.period_start, cast('{{ date_window_start() }}' as date)),
            least(e.period_end, cast('{{ date_window_end() }}' as date), l.last_day),
            interval 1 day
        ) as period_days (day)
),

rates as (
    {{ reporting_rates('entry_days') }}
),

converted as (
    select d.*, d.daily_amount * r.rate_to_reporting as amount_reporting
    from entry_days as d
    join rates as r on r.currency = d.currency and r.date_day = d.date_day
),

rates_for_spend as (
    {{ reporting_rates(ref('int_campaign_day')) }}
),

spend as (
    select c.date_day, c.channel, c.account_id, c.campaign_id, c.spend * r.rate_to_reporting as spend_reporting
    from {{ ref('int_campaign_day') }} as c
    join rates_for_spend as r on r.currency = c.currency and r.date_day = c.date_day
),

shares as (
    select *, spend_reporting / nullif(sum(spend_reporting) over (partition by date_day, channel), 0) as spend_share
    from spend
),

named as (
    -- The campaign's account from every day loaded, not only the built window: a nightly run after
    -- the campaign stopped spending must charge its costs exactly as a full rebuild does.
    select
        c.date_day, c.channel, a.account_id, c.campaign_id, c.media_type, c.category, c.currency,
        c.amount_reporting
    from converted as c
    left join {{ ref('int_ad_campaigns') }} as a using (channel, campaign_id)
    where c.campaign_id is not null
),

spread as (
    select
        c.date_day, c.channel, s.account_id, s.campaign_id, c.media_type, c.category, c.currency,
        coalesce(c.amount_reporting * s.spend_share, c.amount_reporting) as amount_reporting
    from converted as c
    left join shares as s
        on s.date_day = c.date_day and s.channel = c.channel and s.spend_share > 0
    where c.campaign_id is null and c.media_type <> 'organic'
),

organic as (
    -- a cost of the channel's organic side is the channel's, never a paid campaign's
    select
        date_day, channel, cast(null as varchar) as account_id, cast(null as varchar) as campaign_id,
        media_type, category, currency, amount_reporting
    from converted
    where media_type = 'organic'
)

select date_day, channel, account_id, campaign_id, media_type, category, currency, amount_reporting from named
union all
select date_day, channel, account_id, campaign_id, media_type, category, currency, amount_reporting from spread
union all
select date_day, channel, account_id, campaign_id, media_type, category, currency, amount_reporting from organic
