-- Meta insights renamed and cast to the project's vocabulary; one row per raw row. `time_zone` is
-- the account's: rows landed before the connector stored it take the account's latest known zone.
select
    cast(date as date)                as date_day,
    'meta'                            as channel,
    account_id,
    campaign_id,
    campaign_name,
    ad_id,
    level                             as insights_level,
    objective,
    upper(account_currency)           as currency,
    coalesce(
        account_timezone,
        last_value(account_timezone ignore nulls) over (
            partition by account_id order by date, _loaded_at
            rows between unbounded preceding and unbounded following
        )
    )                                 as time_zone,
    cast(spend as decimal(18, 2))     as spend,
    impressions,
    reach,
    clicks,
    inline_link_clicks                as link_clicks,
    actions,
    action_values
from {{ source('raw', 'meta_ads_insights') }}
