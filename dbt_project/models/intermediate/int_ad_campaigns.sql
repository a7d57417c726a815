-- Every ad campaign seen on any platform of macros/ad_platforms.sql on any day loaded (not only
-- the built window), keyed by (channel, campaign id), with its latest name.
-- The keys its name may be matched by are in int_campaign_name_keys.
with campaign_days as (
    {%- for platform in ad_platforms().values() %}
    select channel, account_id, campaign_id, campaign_name, currency, date_day
    from {{ ref(platform.staging_model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

campaigns as (
    select
        channel,
        campaign_id,
        arg_max(account_id, date_day)    as account_id,
        arg_max(campaign_name, date_day) as campaign_name,
        arg_max(currency, date_day)      as currency
    from campaign_days
    group by channel, campaign_id
)

select * from campaigns
