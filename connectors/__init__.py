"""Platform clients: each module speaks one platform's API (official SDK or plain HTTP) and yields
typed, validated records. Nothing here knows Dagster or dbt."""
