"""Dagster code: assets, jobs and the CLI. Platform details stay in `connectors/`."""
