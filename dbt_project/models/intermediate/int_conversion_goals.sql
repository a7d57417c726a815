-- The conversion goals every conversions model maps its events by (config/conversion_goals.csv,
-- validated in stg_config__conversion_goals): one row per platform, event and campaign, and one
-- without a campaign, the platform-wide row. A row for a campaign wins over the platform-wide row
-- for the same event: a model joins this twice, once on the campaign (`campaign_id = …`) and once
-- platform-wide (`campaign_id is null`), and takes the campaign's goal first; each join finds at
-- most one row, so neither fans a row out. An event counted nowhere else counts on the website.
select
    platform,
    event_name,
    goal,
    coalesce(counted_on, 'website') as counted_on,
    campaign_id
from {{ ref('stg_config__conversion_goals') }}
