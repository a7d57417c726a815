"""Official daily exchange rates from Norges Bank's open SDMX REST API, with `requests`.

Norges Bank (Norway's central bank) quotes some 40 currencies against the Norwegian krone: middle
rates, published about 16:00 CET on business days, open data without credentials. The pipeline
reports money in NOK and converts with these rates.

ONE request per window for every configured currency:
``GET {NORGES_BANK_API_URL}/data/EXR/B.EUR+USD+SEK.NOK.SP?format=sdmx-json&startPeriod=…&endPeriod=…&locale=en``
(dataflow EXR; key FREQ.BASE_CUR.QUOTE_CUR.TENOR: B = business day, base currencies joined with
``+``, quote currency always NOK, tenor always SP = spot).

The SDMX-JSON answer, as this module reads it:
- ``data.structure.dimensions.series`` lists FREQ, BASE_CUR, QUOTE_CUR and TENOR, each with the
  values that occur in this answer; ``data.structure.dimensions.observation`` is TIME_PERIOD with
  one value ("YYYY-MM-DD") per day that has an observation in any series.
- ``data.dataSets[0].series`` is keyed by positions in those value lists: "0:1:0:0" is FREQ
  values[0], BASE_CUR values[1], QUOTE_CUR values[0], TENOR values[0]. A series' ``observations``
  are keyed by the position of the day in TIME_PERIOD's values and hold ``["<value>"]``: a string
  as Norges Bank prints it ("10.986": at most DECIMALS decimals, trailing zeros dropped).
- The series' ``attributes`` are positions into ``data.structure.attributes.series[i].values``
  in the same way: DECIMALS, CALCULATED (true for synthetic rates such as I44), UNIT_MULT and
  COLLECTION ("C" = ECB concertation time 14:15 CET).
- UNIT_MULT is the power of ten the printed value is quoted per: 0 for EUR and USD (NOK per 1
  unit), 2 ("Hundreds") for SEK, DKK, JPY and others (NOK per 100 units). The record's ``rate`` is
  NOK per ONE unit, ``raw_value / 10**UNIT_MULT``; ``unit_multiplier`` keeps the UNIT_MULT exponent
  as sent. A response without a usable UNIT_MULT fails: assuming "per unit" would be off by 100.

Weekends and Norwegian bank holidays have no observation at all (the day is absent from
TIME_PERIOD; nothing is published on Christmas Eve either). The records are the days Norges Bank
published and only those inside [since, until]: the loader replaces the (quote_currency,
rate_date) rows of exactly that window, so a record outside it would be inserted next to its old
copy on every rerun. Carrying the last known rate over weekends and holidays is left to dbt.

The request still starts LOOKBACK_DAYS before ``since``: an SDMX REST service answers 404 ("No
results found", SDMX error 100) when nothing matches the query, so a window of only a weekend or
Easter would look exactly like an unknown currency. With a week more, every currency Norges Bank
quotes has observations, so either sign of an unknown currency is unambiguous: a 404 for the whole
request, or (SDMX treats ``+`` as "or") a 200 whose answer has no series for a requested currency.
Both fail naming the currencies and SOCIAL_ROI_FX_CURRENCIES. The extra days are read and checked,
never yielded.

Errors: 5xx answers and broken connections retry with backoff and jitter; 429 waits Retry-After
(else backoff) up to a ceiling; 404, 400 and other refusals stop at once with the fix named
(usually SOCIAL_ROI_FX_CURRENCIES); an answer we cannot parse fails whole, naming field and value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import requests

from connectors.errors import (
    MalformedPayloadError,
    PlatformConfigError,
)
from connectors.platform import RecordSlice, fetch_slices
from connectors.retry import Backoff, HttpRetry

PLATFORM = "fx"
RAW_TABLE = "fx_rates"
DEFAULT_API_URL = "https://data.norges-bank.no/api"
DATAFLOW = "EXR"
FREQUENCY = "B"  # business day
QUOTE_CURRENCY = "NOK"  # Norges Bank quotes only against the krone
TENOR = "SP"  # the API serves spot rates only
SERIES_DIMENSIONS = ["FREQ", "BASE_CUR", "QUOTE_CUR", "TENOR"]
LOOKBACK_DAYS = 7  # longer than any run of Norwegian days without rates (Easter: five)
CURRENCIES_SETTING = "SOCIAL_ROI_FX_CURRENCIES"
RATES_PAGE = "https://www.norges-bank.no/en/topics/Statistics/exchange_rates/"

# One row per rate_date × base currency that Norges Bank published. DuckDB types.
# rate is DECIMAL(18,8), not DOUBLE: it is a published decimal that money is multiplied by, so it is
# kept exactly (no binary fractions in sums and joins); 8 places hold Norges Bank's 4 decimals even
# after a UNIT_MULT of up to 4, and 10 integer digits hold any rate against NOK.
RAW_COLUMNS = {
    "rate_date": "DATE",
    "base_currency": "VARCHAR",
    "quote_currency": "VARCHAR",
    "rate": "DECIMAL(18,8)",  # NOK per 1 unit of base_currency
    "unit_multiplier": "INTEGER",  # UNIT_MULT as sent: raw_value is NOK per 10**unit_multiplier units
    "raw_value": "VARCHAR",  # the observation exactly as Norges Bank sent it
}

log = logging.getLogger(__name__)

_CURRENCY = re.compile(r"[A-Z]{3}")
_RATE = re.compile(r"\d+(\.\d+)?")
_UNIT_MULT = re.compile(r"\d{1,2}")


@dataclasses.dataclass(frozen=True)
class FxRatesSettings:
    """Which currencies to fetch and from where, read from the environment at run time."""

    currencies: tuple[str, ...]  # ISO codes of the foreign currencies, NOK left out
    api_url: str = DEFAULT_API_URL
    lookback_days: int = LOOKBACK_DAYS
    request_timeout_seconds: float = 60
    max_throttle_wait_seconds: float = 15 * 60
    backoff: Backoff = Backoff()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FxRatesSettings | None:
        """None when SOCIAL_ROI_FX_CURRENCIES is unset or empty; an error for a malformed code."""
        raw = env.get(CURRENCIES_SETTING, "").strip()
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        if not parts:
            return None
        currencies = normalize_currencies(parts)
        api_url = (env.get("NORGES_BANK_API_URL") or "").strip().rstrip("/") or DEFAULT_API_URL
        if not re.match(r"https?://", api_url):
            raise PlatformConfigError(
                PLATFORM,
                f"NORGES_BANK_API_URL={api_url!r} is not an http(s) URL: leave it unset for {DEFAULT_API_URL}.",
            )
        return cls(currencies=currencies, api_url=api_url)


def normalize_currencies(codes: Iterable[str]) -> tuple[str, ...]:
    """' eur', 'USD', 'EUR' → ('EUR', 'USD'): upper-cased, in order, without repeats or NOK (the
    krone needs no rate: Norges Bank quotes everything in it)."""
    currencies: list[str] = []
    for code in codes:
        currency = code.strip().upper()
        if not _CURRENCY.fullmatch(currency):
            raise PlatformConfigError(
                PLATFORM,
                f"{code.strip()!r} in {CURRENCIES_SETTING} is not a currency code: list three-letter ISO 4217 codes, comma-separated (e.g. EUR,USD,SEK).",
            )
        if currency != QUOTE_CURRENCY and currency not in currencies:
            currencies.append(currency)
    if not currencies:
        raise PlatformConfigError(
            PLATFORM,
            f"{CURRENCIES_SETTING} lists only NOK, the currency Norges Bank quotes every rate in: list the foreign currencies your ad accounts and shop use (e.g. EUR,USD), or unset it to skip exchange rates.",
        )
    return tuple(currencies)


def series_key(currencies: Iterable[str]) -> str:
    """('EUR', 'USD') → 'B.EUR+USD.NOK.SP': one request for every currency."""
    return f"{FREQUENCY}.{'+'.join(currencies)}.{QUOTE_CURRENCY}.{TENOR}"


class FxRatesClient:
    """Fetches Norges Bank's daily rates. `sleep` is injectable so tests record waits."""

    def __init__(
        self,
        settings: FxRatesSettings,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ):
        self.settings = settings
        self.sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": "social-roi fx connector"})
        self.requests_sent = 0

    def close(self) -> None:
        self._session.close()

    def daily_rates(self, quote_currency: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """Records for every configured currency and every day in [since, until] that Norges Bank
        published a rate for, oldest first. Read LOOKBACK_DAYS earlier, yielded only from since."""
        if quote_currency != QUOTE_CURRENCY:
            raise PlatformConfigError(
                PLATFORM, f"Norges Bank quotes exchange rates only in {QUOTE_CURRENCY}, not {quote_currency}."
            )
        if since > until:
            raise PlatformConfigError(PLATFORM, f"The exchange-rate window {since}..{until} ends before it starts.")
        currencies = self.settings.currencies
        start = since - dt.timedelta(days=self.settings.lookback_days)
        payload = self._fetch(currencies, start, until)
        records = parse_exchange_rates(payload, currencies, start, until)
        missing = [
            currency for currency in currencies if currency not in {record["base_currency"] for record in records}
        ]
        if missing:
            raise _unknown_currencies(missing, start, until, "its answer has no series for them")
        yield from (record for record in records if since.isoformat() <= record["rate_date"] <= until.isoformat())

    def _fetch(self, currencies: tuple[str, ...], start: dt.date, end: dt.date) -> dict:
        key = series_key(currencies)
        url = f"{self.settings.api_url}/data/{DATAFLOW}/{key}"
        params = {"format": "sdmx-json", "startPeriod": start.isoformat(), "endPeriod": end.isoformat(), "locale": "en"}
        response = self._send(
            key, lambda: self._session.get(url, params=params, timeout=self.settings.request_timeout_seconds)
        )
        if response.status_code == 404:
            raise _unknown_currencies(list(currencies), start, end, f"404 {_detail(response)}")
        if response.status_code == 400:
            raise PlatformConfigError(
                PLATFORM,
                f"Norges Bank refused the exchange-rate request {key} for {start}..{end} (400 {_detail(response)}). Check that {CURRENCIES_SETTING} lists three-letter codes Norges Bank quotes ({RATES_PAGE}) and that NORGES_BANK_API_URL points at its API ({DEFAULT_API_URL}).",
            )
        if response.status_code != 200:
            raise PlatformConfigError(
                PLATFORM,
                f"Norges Bank answered HTTP {response.status_code} to the exchange-rate request {key} for {start}..{end} ({_detail(response)}). This is not retried; check NORGES_BANK_API_URL (default {DEFAULT_API_URL}).",
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise MalformedPayloadError(
                PLATFORM,
                f"Norges Bank answered the exchange-rate request {key} for {start}..{end} with something that is not an SDMX-JSON object: {response.text[:200]!r}; nothing was written.",
            )
        return payload

    def _send(self, key: str, send: Callable[[], requests.Response]) -> requests.Response:
        """Send until Norges Bank answers something other than a throttle or a server error."""
        self.requests_sent += 1  # one logical request; retries are the loop's business
        retry = HttpRetry(
            PLATFORM, "Norges Bank", self.settings.backoff, self.settings.max_throttle_wait_seconds, self.sleep
        )
        return retry.send(send, f"the exchange-rate request {key} (API at {self.settings.api_url})", detail=_detail)


def _unknown_currencies(currencies: list[str], start: dt.date, end: dt.date, evidence: str) -> PlatformConfigError:
    names = ", ".join(currencies)
    return PlatformConfigError(
        PLATFORM,
        f"Norges Bank publishes no exchange rate against NOK for {names} ({evidence}, {start}..{end}). Remove or correct {names} in {CURRENCIES_SETTING}: Norges Bank quotes about 40 currencies, listed at {RATES_PAGE}.",
    )


def _detail(response: requests.Response) -> str:
    return " ".join(response.text.split())[:200] or response.reason or ""


# --- parsing -----------------------------------------------------------------------------------


def parse_exchange_rates(payload: Mapping, currencies: Iterable[str], start: dt.date, end: dt.date) -> list[dict]:
    """Every observation of an SDMX-JSON EXR answer as raw-table records (see RAW_COLUMNS), sorted
    by day and currency. The whole answer is checked before anything is returned: one bad value
    and nothing from it is loaded."""
    requested = tuple(currencies)
    where = f"the exchange-rate answer for {series_key(requested)} {start}..{end}"

    def fail(field: str, value, why: str) -> MalformedPayloadError:
        shown = json.dumps(value, default=str)
        return MalformedPayloadError(
            PLATFORM, f"Norges Bank sent {field}={shown[:200]} in {where}: {why}; nothing was written."
        )

    def member(container, name: str, kind: type, field: str):
        value = container.get(name) if isinstance(container, Mapping) else None
        if not isinstance(value, kind):
            raise fail(field, value, f"expected a JSON {'object' if kind is dict else 'list'}")
        return value

    def value_ids(component: Mapping, field: str) -> list[str]:
        values = member(component, "values", list, f"{field}.values")
        ids: list[str] = []
        for position, entry in enumerate(values):
            value_id = entry.get("id") if isinstance(entry, Mapping) else None
            if not isinstance(value_id, str):
                raise fail(f"{field}.values[{position}].id", value_id, "expected a string")
            ids.append(value_id)
        return ids

    data = member(payload, "data", dict, "data")
    structure = member(data, "structure", dict, "data.structure")
    dimensions = member(structure, "dimensions", dict, "data.structure.dimensions")
    series_dimensions = member(dimensions, "series", list, "data.structure.dimensions.series")
    dimension_ids = [d.get("id") if isinstance(d, Mapping) else None for d in series_dimensions]
    if dimension_ids != SERIES_DIMENSIONS:
        raise fail("data.structure.dimensions.series[*].id", dimension_ids, f"expected {SERIES_DIMENSIONS}")
    dimension_values = [value_ids(d, f"data.structure.dimensions.series[{i}]") for i, d in enumerate(series_dimensions)]

    observation_dimensions = member(dimensions, "observation", list, "data.structure.dimensions.observation")
    if [d.get("id") if isinstance(d, Mapping) else None for d in observation_dimensions] != ["TIME_PERIOD"]:
        raise fail(
            "data.structure.dimensions.observation[*].id",
            [d.get("id") if isinstance(d, Mapping) else None for d in observation_dimensions],
            "expected ['TIME_PERIOD']",
        )
    days = []
    for position, period in enumerate(value_ids(observation_dimensions[0], "data.structure.dimensions.observation[0]")):
        try:
            day = dt.date.fromisoformat(period) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period) else None
        except ValueError:
            day = None
        if day is None:
            raise fail(
                f"data.structure.dimensions.observation[0].values[{position}].id",
                period,
                "not a YYYY-MM-DD business day",
            )
        days.append(day)

    attributes = member(structure, "attributes", dict, "data.structure.attributes")
    series_attributes = member(attributes, "series", list, "data.structure.attributes.series")
    attribute_ids = [a.get("id") if isinstance(a, Mapping) else None for a in series_attributes]
    if "UNIT_MULT" not in attribute_ids:
        raise fail(
            "data.structure.attributes.series[*].id",
            attribute_ids,
            "no UNIT_MULT, so whether a value is per 1 or per 100 units is unknown",
        )
    unit_position = attribute_ids.index("UNIT_MULT")
    unit_values = value_ids(series_attributes[unit_position], f"data.structure.attributes.series[{unit_position}]")

    data_sets = member(data, "dataSets", list, "data.dataSets")
    if len(data_sets) != 1:
        raise fail("data.dataSets", f"{len(data_sets)} data sets", "expected exactly one")
    series = member(data_sets[0], "series", dict, "data.dataSets[0].series")

    records, seen = [], set()
    for key, entry in series.items():
        field = f"data.dataSets[0].series[{key!r}]"
        positions = key.split(":")
        if len(positions) != len(SERIES_DIMENSIONS) or not all(
            p.isdigit() and int(p) < len(values) for p, values in zip(positions, dimension_values)
        ):
            raise fail(
                "data.dataSets[0].series key",
                key,
                f"not {len(SERIES_DIMENSIONS)} positions into the series dimensions' values",
            )
        frequency, base, quote, tenor = (values[int(p)] for p, values in zip(positions, dimension_values))
        if (frequency, quote, tenor) != (FREQUENCY, QUOTE_CURRENCY, TENOR):
            raise fail(
                field,
                f"{frequency}.{base}.{quote}.{tenor}",
                f"a series other than {FREQUENCY}.<currency>.{QUOTE_CURRENCY}.{TENOR}",
            )
        if base not in requested:
            raise fail(field, base, "a currency that was not asked for")

        series_attribute_positions = member(entry, "attributes", list, f"{field}.attributes")
        unit_index = (
            series_attribute_positions[unit_position] if unit_position < len(series_attribute_positions) else None
        )
        if not isinstance(unit_index, int) or isinstance(unit_index, bool) or not 0 <= unit_index < len(unit_values):
            raise fail(
                f"{field}.attributes[{unit_position}] (UNIT_MULT)",
                unit_index,
                f"not a position in UNIT_MULT's values {unit_values}",
            )
        unit_mult = unit_values[unit_index]
        if not _UNIT_MULT.fullmatch(unit_mult):
            raise fail(f"UNIT_MULT of {base}", unit_mult, "not a whole power of ten")
        unit_multiplier = int(unit_mult)

        observations = member(entry, "observations", dict, f"{field}.observations")
        for index, observation in observations.items():
            observation_field = f"{field}.observations[{index!r}]"
            if not index.isdigit() or int(index) >= len(days):
                raise fail(f"{field}.observations key", index, f"not a position in TIME_PERIOD's {len(days)} values")
            day = days[int(index)]
            if not start <= day <= end:
                raise fail(
                    f"TIME_PERIOD of {observation_field}", day.isoformat(), f"outside the requested {start}..{end}"
                )
            raw_value = observation[0] if isinstance(observation, list) and observation else None
            if not isinstance(raw_value, str) or not _RATE.fullmatch(raw_value):
                raise fail(f"{observation_field}[0] ({base} on {day})", raw_value, "not a decimal number with a point")
            if (day, base) in seen:
                raise fail(observation_field, raw_value, f"a second {base} rate for {day}")
            seen.add((day, base))
            rate = decimal.Decimal(raw_value).scaleb(-unit_multiplier)
            if rate <= 0:
                raise fail(f"{observation_field}[0] ({base} on {day})", raw_value, "not a positive rate")
            records.append(
                {
                    "rate_date": day.isoformat(),
                    "base_currency": base,
                    "quote_currency": QUOTE_CURRENCY,
                    "rate": float(rate),
                    "unit_multiplier": unit_multiplier,
                    "raw_value": raw_value,
                }
            )
    records.sort(key=lambda record: (record["rate_date"], record["base_currency"]))
    return records


def fetch_window(settings: FxRatesSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """One slice, the quote currency NOK, with every configured currency's rates for [since, until]."""
    return fetch_slices(FxRatesClient(settings), [QUOTE_CURRENCY], FxRatesClient.daily_rates, since, until)
