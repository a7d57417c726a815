-- The headline: marts.roi_social_totals' 'all social' row for the period (the warehouse's own sums
-- and ratios, through its table macro, never summed again here), with the channel rows it covers.
-- A period without data still gives one row: zero amounts, NULL ratios.
with covered as (
    select count(*) as channel_rows, list(distinct channel order by channel) as channels
    from ad_channel_rows($start, $end)
),

-- both scopes in one call of the table macro, which computes them together
totals as (
    select * from marts.roi_social_totals_between($start, $end)
),

social as (
    select * from totals where scope = 'all social'
),

-- the ad channels' paid traffic alone: ROAS is what the media spend bought, so it never counts
-- organic revenue (a referral from an unpaid post returns money no ad paid for)
paid as (
    select * from totals where scope = 'all paid social'
),

settings as (
    select any_value(reporting_currency) as reporting_currency, any_value(revenue_source) as revenue_source
    from marts.roi_social_totals
)

select
    covered.channel_rows,
    covered.channels,
    coalesce(social.reporting_currency, settings.reporting_currency)  as reporting_currency,
    coalesce(social.revenue_source, settings.revenue_source)          as revenue_source,
    coalesce(social.spend, 0)                                         as spend,
    coalesce(social.other_costs, 0)                                   as other_costs,
    coalesce(social.total_cost, 0)                                    as total_cost,
    coalesce(social.revenue, 0)                                       as revenue,
    coalesce(social.valued_conversions_value, 0)                      as valued_conversions_value,
    coalesce(social.return_value, 0)                                  as return_value,
    coalesce(social.provisional_days, 0)                              as provisional_days,
    social.roas,
    social.roi_null_reason,
    social.roi,
    social.roi_on_revenue,
    paid.roas                                                         as paid_roas,
    coalesce(paid.revenue, 0)                                         as paid_revenue,
    -- what the organic side brought: all social less paid, both sums over the same days
    coalesce(social.revenue, 0) - coalesce(paid.revenue, 0)           as organic_revenue
from covered
cross join settings
left join social on true
left join paid on true
