"""The Norges Bank exchange-rate connector: real HTTP against the sandbox's SDMX-JSON EXR API."""

import copy
import dataclasses
import datetime as dt
import decimal

import duckdb
import pytest
import requests

from connectors.errors import MalformedPayloadError, PlatformConfigError, PlatformThrottledError, TransientPlatformError
from connectors.fx_rates import RATES
from connectors.fx_rates import client as fx_rates
from connectors.fx_rates.client import FxRatesClient, FxRatesSettings, parse_exchange_rates
from connectors.retry import Backoff
from connectors.sandbox.fx_rates import FIXED_HOLIDAYS


@pytest.fixture
def fx_settings(sandbox):
    return FxRatesSettings(
        currencies=("EUR", "USD"),
        api_url=f"{sandbox.base_url}/api",
        backoff=Backoff(attempts=3, base_seconds=0.01, max_seconds=0.02),
        max_throttle_wait_seconds=60,
    )


@pytest.fixture
def month(yesterday):
    return yesterday - dt.timedelta(days=30), yesterday


def fetch(settings, since, until, waits=None, **overrides):
    client = FxRatesClient(
        dataclasses.replace(settings, **overrides), sleep=(waits.sleep if waits is not None else lambda _s: None)
    )
    try:
        return list(client.daily_rates("NOK", since, until))
    finally:
        client.close()


def days_between(since, until):
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def business_days(since, until):
    return [d for d in days_between(since, until) if d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS]


def last_saturday(before: dt.date) -> dt.date:
    return before - dt.timedelta(days=(before.weekday() - 5) % 7)


# --- what arrives ------------------------------------------------------------------------------


def test_a_month_of_eur_and_usd_rates_arrives_in_one_request_with_every_business_day_and_no_weekend(
    sandbox, fx_settings, month
):
    since, until = month
    records = fetch(fx_settings, since, until)

    assert sandbox.norges_bank.keys_requested == ["B.EUR+USD.NOK.SP"]
    expected_days = [d.isoformat() for d in business_days(since, until)]
    for currency in ("EUR", "USD"):
        assert [r["rate_date"] for r in records if r["base_currency"] == currency] == expected_days
    assert not [r for r in records if dt.date.fromisoformat(r["rate_date"]).weekday() >= 5]
    assert {r["quote_currency"] for r in records} == {"NOK"}
    assert set(records[0]) == set(fx_rates.RAW_COLUMNS)


def test_the_days_read_before_since_are_never_yielded_so_a_rerun_replaces_exactly_its_window(
    sandbox, fx_settings, month
):
    since, until = month
    records = fetch(fx_settings, since, until)

    assert min(r["rate_date"] for r in records) >= since.isoformat()
    assert max(r["rate_date"] for r in records) <= until.isoformat()
    # …although the request reached back a week, so that a window of only holidays has data.
    assert sandbox.norges_bank.requests_served == 1


def test_a_weekend_only_window_yields_nothing_and_is_not_mistaken_for_an_unknown_currency(
    sandbox, fx_settings, yesterday
):
    saturday = last_saturday(yesterday)

    assert fetch(fx_settings, saturday, saturday + dt.timedelta(days=1)) == []


def test_rates_equal_the_advertisers_fx_rate_rounded_to_four_decimals(sandbox, fx_settings, month):
    since, until = month
    records = fetch(fx_settings, since, until)

    assert records
    for record in records:
        day = dt.date.fromisoformat(record["rate_date"])
        expected = round(sandbox.advertiser.fx_rate(day, record["base_currency"], "NOK"), 4)
        assert record["rate"] == expected
        assert float(record["raw_value"]) == expected
        assert record["unit_multiplier"] == 0
        # Printed as Norges Bank prints it: at most 4 decimals, no trailing zeros.
        assert len(record["raw_value"].partition(".")[2]) <= 4 and not record["raw_value"].endswith("0")


# --- UNIT_MULT (the sandbox's advertiser has no per-100 currency, so on a body built here) -------


def sdmx_body(series: dict[str, tuple[int, dict[str, str]]], days: list[str]) -> dict:
    """An EXR answer shaped like Norges Bank's: {currency: (UNIT_MULT, {day: value})}."""
    currencies = sorted(series)
    unit_mults = sorted({unit_mult for unit_mult, _ in series.values()}, reverse=True)
    return {
        "meta": {"id": "IREF000001", "prepared": "2026-09-14T19:09:43", "test": False},
        "data": {
            "dataSets": [
                {
                    "series": {
                        f"0:{position}:0:0": {
                            "attributes": [0, 0, unit_mults.index(series[currency][0]), 0],
                            "observations": {
                                str(days.index(day)): [value] for day, value in series[currency][1].items()
                            },
                        }
                        for position, currency in enumerate(currencies)
                    },
                }
            ],
            "structure": {
                "dimensions": {
                    "series": [
                        {"id": "FREQ", "values": [{"id": "B", "name": "Business"}]},
                        {"id": "BASE_CUR", "values": [{"id": c, "name": c} for c in currencies]},
                        {"id": "QUOTE_CUR", "values": [{"id": "NOK", "name": "Norwegian krone"}]},
                        {"id": "TENOR", "values": [{"id": "SP", "name": "Spot"}]},
                    ],
                    "observation": [{"id": "TIME_PERIOD", "values": [{"id": d, "name": d} for d in days]}],
                },
                "attributes": {
                    "series": [
                        {"id": "DECIMALS", "values": [{"id": "4", "name": "4"}]},
                        {"id": "CALCULATED", "values": [{"id": "false", "name": "false"}]},
                        {
                            "id": "UNIT_MULT",
                            "values": [
                                {"id": str(m), "name": {0: "Units", 2: "Hundreds"}.get(m, str(m))} for m in unit_mults
                            ],
                        },
                        {"id": "COLLECTION", "values": [{"id": "C", "name": "ECB concertation time 14:15 CET"}]},
                    ],
                    "observation": [],
                },
            },
        },
    }


MONDAY, TUESDAY = dt.date(2026, 9, 14), dt.date(2026, 9, 15)
PER_100_BODY = sdmx_body(
    {
        "EUR": (0, {"2026-09-14": "10.986"}),
        "SEK": (2, {"2026-09-14": "96.1", "2026-09-15": "95.95"}),
        "JPY": (2, {"2026-09-15": "6.0375"}),
    },
    ["2026-09-14", "2026-09-15"],
)


def test_parser_on_a_built_body_divides_a_per_100_currency_by_ten_to_the_unit_mult():
    records = parse_exchange_rates(PER_100_BODY, ("EUR", "SEK", "JPY"), MONDAY, TUESDAY)

    by_key = {(r["base_currency"], r["rate_date"]): r for r in records}
    assert by_key[("SEK", "2026-09-14")] == {
        "rate_date": "2026-09-14",
        "base_currency": "SEK",
        "quote_currency": "NOK",
        "rate": 0.961,
        "unit_multiplier": 2,
        "raw_value": "96.1",
    }
    assert by_key[("SEK", "2026-09-15")]["rate"] == 0.9595
    assert by_key[("JPY", "2026-09-15")]["rate"] == 0.060375  # exact, not 0.060375000000000005
    assert by_key[("EUR", "2026-09-14")]["rate"] == 10.986 and by_key[("EUR", "2026-09-14")]["unit_multiplier"] == 0
    assert len(records) == 4  # days without an observation stay absent


def test_parser_on_a_built_body_refuses_to_guess_when_unit_mult_is_missing():
    body = copy.deepcopy(PER_100_BODY)
    body["data"]["structure"]["attributes"]["series"] = [
        a for a in body["data"]["structure"]["attributes"]["series"] if a["id"] != "UNIT_MULT"
    ]

    with pytest.raises(MalformedPayloadError, match="UNIT_MULT"):
        parse_exchange_rates(body, ("EUR", "SEK", "JPY"), MONDAY, TUESDAY)


def test_parser_on_a_built_body_refuses_a_currency_that_was_not_asked_for():
    with pytest.raises(MalformedPayloadError, match="JPY"):
        parse_exchange_rates(PER_100_BODY, ("EUR", "SEK"), MONDAY, TUESDAY)


# --- failures ----------------------------------------------------------------------------------


def test_server_errors_are_retried_with_backoff_then_succeed(sandbox, fx_settings, month, waits):
    sandbox.faults.arm("fx", "server_error", times=1, status=500)
    sandbox.faults.arm("fx", "server_error", times=1, status=503)

    records = fetch(fx_settings, *month, waits=waits)

    assert records
    assert sandbox.norges_bank.requests_served == 3
    assert len(waits) == 2 and all(0 < w <= 0.02 for w in waits)


def test_server_errors_that_outlast_the_retries_fail_as_transient(sandbox, fx_settings, month, waits):
    sandbox.faults.arm("fx", "server_error", times=None, status=503)

    with pytest.raises(TransientPlatformError, match="after 3 tries") as failure:
        fetch(fx_settings, *month, waits=waits)

    assert failure.value.__cause__ is None and failure.value.__context__ is None
    assert len(waits) == 2


def test_a_broken_connection_is_retried_then_fails_as_transient(fx_settings, month, waits):
    settings = dataclasses.replace(fx_settings, api_url="http://127.0.0.1:9/api")  # nothing listens on port 9

    with pytest.raises(TransientPlatformError, match="ConnectionError") as failure:
        fetch(settings, *month, waits=waits)

    assert failure.value.__context__ is None
    assert len(waits) == 2


def test_a_429_waits_as_long_as_retry_after_says(sandbox, fx_settings, month, waits):
    sandbox.faults.arm("fx", "throttle", times=2, retry_after=7)

    records = fetch(fx_settings, *month, waits=waits)

    assert records
    assert waits == [7.0, 7.0]


def test_throttling_longer_than_allowed_stops_the_run(sandbox, fx_settings, month, waits):
    sandbox.faults.arm("fx", "throttle", times=None, retry_after=25)

    with pytest.raises(PlatformThrottledError, match="Rerun later"):
        fetch(fx_settings, *month, waits=waits, max_throttle_wait_seconds=60)

    assert waits == [25.0, 25.0]


def test_an_unknown_currency_among_known_ones_fails_at_once_naming_it_and_the_setting(
    sandbox, fx_settings, month, waits
):
    with pytest.raises(PlatformConfigError) as failure:
        fetch(fx_settings, *month, waits=waits, currencies=("EUR", "XAU"))

    message = str(failure.value)
    assert "XAU" in message and "SOCIAL_ROI_FX_CURRENCIES" in message and "EUR," not in message
    assert sandbox.norges_bank.requests_served == 1 and waits == []


def test_a_404_for_an_unknown_currency_fails_at_once_naming_it_and_the_setting(sandbox, fx_settings, month, waits):
    with pytest.raises(PlatformConfigError, match=r"XAU.*404 No Results Found.*SOCIAL_ROI_FX_CURRENCIES") as failure:
        fetch(fx_settings, *month, waits=waits, currencies=("XAU",))

    assert failure.value.__context__ is None
    assert sandbox.norges_bank.requests_served == 1 and waits == []


def test_a_malformed_value_fails_naming_the_field_and_the_value(sandbox, fx_settings, month):
    sandbox.faults.arm("fx", "malformed_payload", value="11,5")

    with pytest.raises(
        MalformedPayloadError,
        match=r"observations\['0'\]\[0\] \(EUR on \d{4}-\d{2}-\d{2}\)=\"11,5\".*nothing was written",
    ):
        fetch(fx_settings, *month)


def test_a_value_with_a_decimal_comma_is_malformed_even_when_read_in_the_lookback(sandbox, fx_settings, month):
    sandbox.faults.arm("fx", "malformed_payload")

    with pytest.raises(MalformedPayloadError, match=r"\"\d+,\d+\""):
        fetch(fx_settings, *month)


def test_the_sandbox_serves_only_sdmx_json_like_the_connector_asks(sandbox, month):
    since, until = month
    answer = requests.get(
        f"{sandbox.base_url}/api/data/EXR/B.EUR.NOK.SP",
        params={"format": "csv", "startPeriod": since.isoformat(), "endPeriod": until.isoformat()},
        timeout=10,
    )

    assert answer.status_code == 400


# --- settings and wiring ------------------------------------------------------------------------


def test_settings_from_env_read_the_currencies_and_the_api_url():
    assert FxRatesSettings.from_env({}) is None
    assert FxRatesSettings.from_env({"SOCIAL_ROI_FX_CURRENCIES": "  "}) is None

    settings = FxRatesSettings.from_env({"SOCIAL_ROI_FX_CURRENCIES": " eur,USD, SEK,EUR,NOK "})
    assert settings.currencies == ("EUR", "USD", "SEK")
    assert settings.api_url == "https://data.norges-bank.no/api"
    assert fx_rates.series_key(settings.currencies) == "B.EUR+USD+SEK.NOK.SP"

    custom = FxRatesSettings.from_env(
        {"SOCIAL_ROI_FX_CURRENCIES": "EUR", "NORGES_BANK_API_URL": "http://127.0.0.1:8765/api/"}
    )
    assert custom.api_url == "http://127.0.0.1:8765/api"


@pytest.mark.parametrize("value", ["EURO", "E1R", "US$", "EUR;USD"])
def test_settings_from_env_refuse_a_malformed_currency_code_naming_it(value):
    with pytest.raises(PlatformConfigError, match="SOCIAL_ROI_FX_CURRENCIES") as failure:
        FxRatesSettings.from_env({"SOCIAL_ROI_FX_CURRENCIES": f"USD,{value}"})

    assert repr(value) in str(failure.value)


def test_settings_from_env_refuse_a_list_of_only_nok():
    with pytest.raises(PlatformConfigError, match="only NOK"):
        FxRatesSettings.from_env({"SOCIAL_ROI_FX_CURRENCIES": "NOK"})


def test_source_fetches_one_nok_slice_that_loads_exactly_and_replaces_its_window_on_rerun(sandbox, tmp_path, month):
    from pipelines.warehouse import replace_slices, stage_records

    since, until = month
    settings = FxRatesSettings.from_env(
        {"SOCIAL_ROI_FX_CURRENCIES": "EUR,USD", "NORGES_BANK_API_URL": f"{sandbox.base_url}/api"}
    )
    source = RATES
    assert (source.platform, source.name, source.slice_column, source.date_column) == (
        "fx",
        "fx_rates",
        "quote_currency",
        "rate_date",
    )

    assert settings is not None
    database = tmp_path / "warehouse.duckdb"
    for run in range(2):
        slices = list(source.fetch(settings, since, until))
        assert [slice_id for slice_id, _records in slices] == ["NOK"]
        staging = tmp_path / f"run-{run}"
        staging.mkdir()
        replace_slices(database, source, stage_records(slices, staging, since, until))

    with duckdb.connect(str(database)) as connection:
        rows = connection.execute(
            "select rate_date, base_currency, rate, unit_multiplier, raw_value from raw.fx_rates"
        ).fetchall()
        duplicates = connection.execute(
            "select count(*) from (select rate_date, base_currency from raw.fx_rates group by all having count(*) > 1)"
        ).fetchone()[0]
    assert duplicates == 0
    assert len(rows) == 2 * len(business_days(since, until))
    assert all(
        isinstance(rate, decimal.Decimal) and rate == decimal.Decimal(raw) for _day, _currency, rate, _mult, raw in rows
    )
