-- Each GA4 row with its channel from the channel mapping (config/channel_mapping.csv): the most specific row wins
-- (exact source before `*`, then exact medium before `*`); no match means `other`. And whether the
-- traffic was bought: the row's media_type, else GA4's own rule for Paid Social (a social source
-- AND a paid medium, ^(.*cp.*|ppc|retargeting|paid.*)$: support.google.com/analytics/answer/9756891):
-- on an ad channel a paid medium is `paid` and anything else `organic`; other channels are `other`.
with candidates as (
    select
        t.*,
        m.channel,
        nullif(lower(trim(m.media_type)), '') as mapped_media_type,
        row_number() over (
            partition by t.date_day, t.property_id, t.source_as_sent, t.medium_as_sent, t.utm_campaign, t.utm_id
            order by (m.source <> '*') desc, (m.medium <> '*') desc
        ) as preference
    from {{ ref('stg_ga4__traffic') }} as t
    left join {{ ref('stg_config__channel_mapping') }} as m
        on  (lower(trim(m.source)) = t.source or m.source = '*')
        and (lower(trim(m.medium)) = t.medium or m.medium = '*')
    where {{ in_date_window('t.date_day') }}
)

select
    * exclude (channel, mapped_media_type, preference),
    coalesce(channel, 'other') as channel,
    case
        when mapped_media_type is not null then mapped_media_type
        when channel in ({{ quoted_list(ad_channels()) }})
            then case when regexp_full_match(medium, '.*cp.*|ppc|retargeting|paid.*') then 'paid' else 'organic' end
        else 'other'
    end as media_type
from candidates
where preference = 1
