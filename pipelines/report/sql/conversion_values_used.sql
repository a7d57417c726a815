-- The agreed values behind the period's valued conversions on the ad channels (paid and organic):
-- per row of the conversion values file that valued anything, the conversions it valued (counted
-- as revenue is: GA4's key events, or the platforms' claims) and what they came to in the
-- reporting currency, with the row's own terms (intermediate.int_conversion_values).
with valued as (
    select
        g.value_id,
        g.goal,
        sum(case when s.revenue_source = 'ga4' then g.ga4_key_events else g.platform_conversions end) as conversions,
        sum(g.valued_conversions_value_reporting)                                                   as value
    from marts.conversions_by_goal as g
    cross join (select any_value(revenue_source) as revenue_source from marts.roi_by_channel) as s
    where
        g.date_day between $start and $end
        and g.value_id is not null
        and g.channel in (select distinct c.channel from intermediate.int_ad_campaigns as c)
    group by all
)

select
    v.value_id,
    v.goal,
    v.conversions,
    v.value,
    d.value_per_conversion,
    d.currency,
    d.use_reported_value,
    d.close_rate,
    d.deal_value,
    d.note
from valued as v
left join intermediate.int_conversion_values as d using (value_id)
where v.value <> 0 or v.conversions <> 0
order by v.value desc, v.value_id
