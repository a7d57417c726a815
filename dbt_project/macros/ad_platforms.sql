{#- The ad platforms the marts are built from, one line per channel: the single list every model,
    test and check reads (int_campaign_day, int_conversions_by_goal, int_ad_campaigns, the cost
    ledger's known channels, the ROI tables, the raw-vs-mart reconciliation). Each line names
    (channel, staging_model, raw_table, raw_spend_column):

    staging_model:      one row per raw row, with date_day, channel, account_id, campaign_id,
                        campaign_name, objective and currency (every day loaded: campaigns are
                        matched to GA4 over their whole history).
    raw_table:          its table in source('raw', …), with the account's local day in `date`…
    raw_spend_column:   …and spend in the account currency in this column.

    Two models are found by the channel's name:
    int_<channel>__campaign_day:        campaign × day in the shape int_campaign_day lists, for
                                        the built window. Its conversions and conversion value are
                                        its conversions model's, summed over goals.
    int_<channel>__conversions_by_goal: what the platform claims per campaign × day × goal, for the
                                        built window: date_day, channel, account_id, campaign_id,
                                        goal, counted_on (website or platform), conversions and
                                        conversion_value (account currency), its events mapped by
                                        int_conversion_goals.

    Adding a platform (README, "Adding a platform"): its raw table in a sources file, its staging
    model, those two models, and its line here.

    A macro rather than a var or a seed: models ref() these names, which dbt resolves when it
    parses the project, before any seed is loaded; and the list is code (each entry needs its
    models), not a setting to override with --vars. -#}
{% macro ad_platforms() -%}
    {%- set platforms = {} -%}
    {%- for channel, staging_model, raw_table, raw_spend_column in [
        ('meta', 'stg_meta__insights', 'meta_ads_insights', 'spend'),
        ('linkedin', 'stg_linkedin__campaign_analytics', 'linkedin_ads_analytics', 'cost_in_local_currency'),
    ] -%}
        {%- do platforms.update({channel: {
            'staging_model': staging_model,
            'campaign_day_model': 'int_' ~ channel ~ '__campaign_day',
            'conversions_model': 'int_' ~ channel ~ '__conversions_by_goal',
            'raw_table': raw_table,
            'raw_spend_column': raw_spend_column,
        }}) -%}
    {%- endfor -%}
    {{ return(platforms) }}
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
