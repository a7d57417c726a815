-- Every ad campaign seen on any platform of macros/ad_platforms.sql on any day loaded (not only
-- the built window), keyed by (channel, campaign id), with its latest name.
-- The keys its name may be matched by are in int_campaign_name_keys.
with campaign_days as (
    {%- for platform in ad_platforms().values() %}
    select channel, account_id, campaign_id, campaign_name, currency, objective, date_day
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
        arg_max(currency, date_day)      as currency,
        arg_max(objective, date_day) filter (where objective is not null) as objective
    from campaign_days
    group by channel, campaign_id
)

-- How the campaign is judged: an objective config/campaign_objectives.csv does not list (or none
-- reported yet) is judged on ROI.
select
    c.*,
    coalesce(o.verdict_basis, 'conversion')                          as verdict_basis,
    case coalesce(o.verdict_basis, 'conversion')
        when 'awareness' then 'cpm'
        when 'consideration' then 'cpc_link'
        else 'roi'
    end                                                              as primary_kpi
from campaigns as c
left join {{ ref('stg_config__campaign_objectives') }} as o
    on o.platform = c.channel and o.objective = c.objective
