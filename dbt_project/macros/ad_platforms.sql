{#- The ad platforms the marts are built from, one entry per channel: the single list every
    model, test and check reads (int_campaign_day, int_conversions_by_goal, int_ad_campaigns, the
    cost ledger's known channels, the ROI tables, the raw-vs-mart reconciliation). Adding a
    platform means its raw tables in models/staging/_sources.yml, its staging models, one
    int_<channel>__conversions_by_goal and one int_<channel>__campaign_day model, its events in
    config/conversion_goals.csv, and one entry here.

    staging_model:      one row per raw row, with date_day, channel, account_id, campaign_id,
                        campaign_name and currency (every day loaded: campaigns are matched to GA4
                        over their whole history).
    campaign_day_model: campaign × day in the shape int_campaign_day lists, for the built window.
                        Its conversions and conversion value are its conversions model's, summed
                        over goals: the goals file decides what counts as a conversion.
    conversions_model:  what the platform claims per campaign × day × goal, for the built window:
                        date_day, channel, account_id, campaign_id, goal, counted_on (website or
                        platform), conversions and conversion_value (account currency), its events
                        mapped by int_conversion_goals.
    raw_table:          its table in source('raw', …), with the account's local day in `date`…
    raw_spend_column:   …and spend in the account currency in this column.

    A macro rather than a var or a seed: models ref() these names, which dbt resolves when it
    parses the project, before any seed is loaded; and the list is code (each entry needs its
    models), not a setting to override with --vars. -#}
{% macro ad_platforms() -%}
    {{ return({
        'meta': {
            'staging_model': 'stg_meta__insights',
            'campaign_day_model': 'int_meta__campaign_day',
            'conversions_model': 'int_meta__conversions_by_goal',
            'raw_table': 'meta_ads_insights',
            'raw_spend_column': 'spend',
        },
        'linkedin': {
            'staging_model': 'stg_linkedin__campaign_analytics',
            'campaign_day_model': 'int_linkedin__campaign_day',
            'conversions_model': 'int_linkedin__conversions_by_goal',
            'raw_table': 'linkedin_ads_analytics',
            'raw_spend_column': 'cost_in_local_currency',
        },
    }) }}
{%- endmacro %}

{#- The channels that buy ads, e.g. ['meta', 'linkedin']. -#}
{% macro ad_channels() -%}
    {{ return(ad_platforms().keys() | list) }}
{%- endmacro %}

{#- Every channel a cost ledger row or a KPI target may name: the ad channels and every channel of
    the channel mapping (config/channel_mapping.csv). A query with one column, `channel`. -#}
{% macro known_channels() -%}
    select unnest([{{ quoted_list(ad_channels()) }}]) as channel
    union
    select distinct channel from {{ ref('stg_config__channel_mapping') }}
{%- endmacro %}
