-- The keys a GA4 utm_campaign may carry to name an ad campaign: its normalised name, spelled with
-- ø/å as o/a and as oe/aa (one key when the name has no such letter). Grain: channel × key ×
-- campaign. `campaigns_with_key` > 1 is a collision: two campaigns of one channel would claim the
-- same traffic, so neither is matched by name, and marts.unmatched_campaigns lists them.
with campaigns as (
    select
        channel,
        account_id,
        campaign_id,
        campaign_name,
        list_distinct([
            {{ normalize_utm('campaign_name') }},
            {{ normalize_utm('campaign_name', 'long') }}
        ]) as name_keys
    from {{ ref('int_ad_campaigns') }}
),

keys as (
    select channel, account_id, campaign_id, campaign_name, unnest(name_keys) as name_key
    from campaigns
)

select
    *,
    count(*) over (partition by channel, name_key) as campaigns_with_key
from keys
