-- Each GA4 row with its channel from the channel_mapping seed: the most specific row wins
-- (exact source before `*`, then exact medium before `*`); no match means `other`.
with candidates as (
    select
        t.*,
        m.channel,
        row_number() over (
            partition by t.date_day, t.property_id, t.source_as_sent, t.medium_as_sent, t.utm_campaign, t.utm_id
            order by (m.source <> '*') desc, (m.medium <> '*') desc
        ) as preference
    from {{ ref('stg_ga4__traffic') }} as t
    left join {{ ref('channel_mapping') }} as m
        on  (lower(trim(m.source)) = t.source or m.source = '*')
        and (lower(trim(m.medium)) = t.medium or m.medium = '*')
    where {{ in_date_window('t.date_day') }}
)

select * exclude (channel, preference), coalesce(channel, 'other') as channel
from candidates
where preference = 1
