"""Norges Bank's daily exchange rates against NOK (client.py): public reference data that
converts every amount to the reporting currency."""

from connectors.fx_rates import client
from connectors.fx_rates.client import FxRatesSettings
from connectors.platform import Platform, RawTable

RATES = RawTable[FxRatesSettings](
    platform=client.PLATFORM,
    name=client.RAW_TABLE,
    columns=client.RAW_COLUMNS,
    slice_column="quote_currency",
    date_column="rate_date",
    fetch=client.fetch_window,
    # Sundays and holidays need the last business day's rate: fetch and replace a week before.
    lookback_days=7,
)

PLATFORM = Platform[FxRatesSettings](
    name=client.PLATFORM,
    settings_from_env=FxRatesSettings.from_env,
    credentials_hint=client.CURRENCIES_SETTING,
    tables=(RATES,),
    setting_names=(client.CURRENCIES_SETTING, "NORGES_BANK_API_URL"),
    reference_data=True,
    sandbox="connectors.sandbox.fx_rates",
)
