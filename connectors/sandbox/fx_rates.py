"""Norges Bank's open exchange-rate API (SDMX REST, dataflow EXR) in the SDMX-JSON it sends.

Served: GET /api/data/EXR/{FREQ}.{BASE_CUR}.{QUOTE_CUR}.{TENOR}?format=sdmx-json&startPeriod=
YYYY-MM-DD&endPeriod=YYYY-MM-DD[&locale=en|no], with base currencies joined by "+" (empty: all).
Rates are the advertiser's ``fx_rate(day, currency, "NOK")`` rounded to Norges Bank's 4 decimals and
printed as it prints them (strings, trailing zeros dropped: "10.986").

Faithful details: only business days have observations (no Saturday, Sunday, or fixed-date
Norwegian holiday: 1 January, 1 May, 17 May, 24-26 December; the moving Easter and Whitsun holidays
are not modelled); series keys are positions into the series dimensions' values ("0:1:0:0"),
observation keys positions into TIME_PERIOD's values, series attributes (DECIMALS, CALCULATED,
UNIT_MULT, COLLECTION) positions into each attribute's values; the parts of a "+" key with no
series are left out, and a query with no observation at all answers 404 "No Results Found"
(SDMX's error 100), as it does for a currency nobody quotes. Only the currencies ``fx_rate`` knows
(EUR, USD) have series, all with UNIT_MULT 0: the advertiser has no per-100 currency.

Sandbox limits, answered 400: only frequency B, only format=sdmx-json, dates as YYYY-MM-DD.

Fault kinds (``sandbox.faults.arm("fx", kind, ...)``): ``server_error`` (``status`` 500 or 503),
``throttle`` (429 with ``Retry-After``, ``retry_after`` seconds, default 2), ``malformed_payload``
(the first observation printed with a decimal comma, or ``value``).

``environment()`` holds the settings that point the FX connector here.
"""

import datetime as dt
import re
import threading
import urllib.parse

from connectors import clock
from connectors.sandbox.http import Response

DECIMALS = 4
QUOTE_CURRENCY = "NOK"
CURRENCY_NAMES = {"EUR": "Euro", "USD": "US dollar", "NOK": "Norwegian krone"}
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 17), (12, 24), (12, 25), (12, 26)}
FORMATS_OF_THE_REAL_API = {"sdmx-json", "csv", "csv-ts", "sdmx-ml", "excel-both"}


def environment(sandbox) -> dict[str, str]:
    """The settings that point the FX connector at this sandbox."""
    return {
        # The demo's LinkedIn account spends EUR; official rates come from the Norges Bank stand-in.
        "SOCIAL_ROI_FX_CURRENCIES": "EUR,USD",
        "NORGES_BANK_API_URL": f"{sandbox.base_url}/api",
    }


def is_publication_day(day: dt.date) -> bool:
    """A day Norges Bank publishes rates on, as far as the sandbox models holidays."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def wire_rate(value: float) -> str:
    """11.6 → '11.6', 10.98604 → '10.986': DECIMALS places, trailing zeros dropped."""
    return f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")


def _text(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(status, message.encode(), {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})


class NorgesBankApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        self._lock = threading.Lock()
        self.requests_served = 0
        self.keys_requested: list[str] = []

    def routes(self):
        return [("GET", re.compile(r"^/api/data/EXR/([^/]+)$"), self.exchange_rates)]

    def _fault(self):
        faults = self.sandbox.faults
        server_error = faults.take("fx", "server_error")
        if server_error:
            status = server_error.options.get("status", 500)
            return _text(status, "Service Unavailable" if status == 503 else "Internal Server Error")
        throttle = faults.take("fx", "throttle")
        if throttle:
            return _text(429, "Too Many Requests", {"Retry-After": str(throttle.options.get("retry_after", 2))})
        return None

    def known_currencies(self) -> list[str]:
        """The base currencies the advertiser has a NOK rate for (NOK itself has no series)."""
        known = []
        for currency in sorted(CURRENCY_NAMES):
            if self._rate(self.advertiser.today, currency) is not None:
                known.append(currency)
        return known

    def _rate(self, day: dt.date, currency: str) -> float | None:
        if currency == QUOTE_CURRENCY:
            return None  # Norges Bank has no NOK-per-NOK series
        try:
            return self.advertiser.fx_rate(day, currency, QUOTE_CURRENCY)
        except KeyError:
            return None

    def exchange_rates(self, request, match):
        key = urllib.parse.unquote(match.group(1))
        with self._lock:
            self.requests_served += 1
            self.keys_requested.append(key)
        refusal = self._fault()
        if refusal:
            return refusal
        data_format = request.query.get("format", "")
        if data_format != "sdmx-json":
            known = (
                "a format this sandbox does not serve"
                if data_format in FORMATS_OF_THE_REAL_API
                else "not a format Norges Bank serves"
            )
            return _text(400, f"format={data_format!r} is {known}: the sandbox answers format=sdmx-json only.")
        parts = key.split(".")
        if len(parts) != 4:
            return _text(
                400, f"Syntax error: the EXR key has four dimensions FREQ.BASE_CUR.QUOTE_CUR.TENOR, not {key!r}."
            )
        frequency, bases, quote, tenor = parts
        if frequency != "B":
            return _text(400, f"The sandbox serves daily rates only (frequency B), not {frequency!r}.")
        try:
            start = dt.date.fromisoformat(request.query["startPeriod"])
            end = dt.date.fromisoformat(request.query.get("endPeriod") or self.advertiser.today.isoformat())
        except (KeyError, ValueError):
            return _text(400, "The sandbox needs startPeriod (and optionally endPeriod) as YYYY-MM-DD.")

        requested = [c for c in bases.split("+") if c] or self.known_currencies()
        currencies = (
            sorted({c for c in requested if self._rate(start, c) is not None})
            if (quote, tenor) == (QUOTE_CURRENCY, "SP")
            else []
        )
        days = []
        day = start
        while day <= min(end, self.advertiser.today):
            if is_publication_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        if not currencies or not days:
            return _text(404, "No Results Found")
        return Response.json(200, self._message(currencies, days, start, end))

    def _message(self, currencies: list[str], days: list[dt.date], start: dt.date, end: dt.date) -> dict:
        series = {}
        for position, currency in enumerate(currencies):
            rates = [self._rate(day, currency) for day in days]
            # a day without a rate has no observation, as in Norges Bank's own answers
            observations = {str(index): [wire_rate(rate)] for index, rate in enumerate(rates) if rate is not None}
            series[f"0:{position}:0:0"] = {"attributes": [0, 0, 0, 0], "observations": observations}
        fault = self.sandbox.faults.take("fx", "malformed_payload")
        if fault:
            first = series["0:0:0:0"]["observations"]["0"]
            first[0] = fault.options.get("value", first[0].replace(".", ",") if "." in first[0] else f"{first[0]},5")
        relationship = {"dimensions": ["BASE_CUR", "QUOTE_CUR", "TENOR"]}
        now = clock.now().replace(microsecond=0, tzinfo=None).isoformat()
        return {
            "meta": {
                "id": f"IREF{100000 + self.requests_served}",
                "prepared": now,
                "test": False,
                "sender": {"id": "NB"},
            },
            "data": {
                "dataSets": [
                    {
                        "links": [
                            {"rel": "dataflow", "urn": "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=NB:EXR(1.0)"}
                        ],
                        "reportingBegin": f"{start.isoformat()}T00:00:00",
                        "reportingEnd": f"{end.isoformat()}T23:59:59",
                        "action": "Information",
                        "series": series,
                    }
                ],
                "structure": {
                    "links": [
                        {"rel": "dataflow", "urn": "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=NB:EXR(1.0)"}
                    ],
                    "name": "Exchange rates",
                    "names": {"en": "Exchange rates"},
                    "description": "Exchange rates of the Norwegian krone against foreign currencies",
                    "dimensions": {
                        "dataset": [],
                        "series": [
                            {
                                "id": "FREQ",
                                "name": "Frequency",
                                "keyPosition": 0,
                                "role": None,
                                "values": [{"id": "B", "name": "Business"}],
                            },
                            {
                                "id": "BASE_CUR",
                                "name": "Base Currency",
                                "keyPosition": 1,
                                "role": None,
                                "values": [{"id": c, "name": CURRENCY_NAMES.get(c, c)} for c in currencies],
                            },
                            {
                                "id": "QUOTE_CUR",
                                "name": "Quote Currency",
                                "keyPosition": 2,
                                "role": None,
                                "values": [{"id": QUOTE_CURRENCY, "name": CURRENCY_NAMES[QUOTE_CURRENCY]}],
                            },
                            {
                                "id": "TENOR",
                                "name": "Tenor",
                                "keyPosition": 3,
                                "role": None,
                                "values": [{"id": "SP", "name": "Spot"}],
                            },
                        ],
                        "observation": [
                            {
                                "id": "TIME_PERIOD",
                                "name": "Time Period",
                                "keyPosition": 4,
                                "role": "time",
                                "values": [{"id": d.isoformat(), "name": d.isoformat()} for d in days],
                            },
                        ],
                    },
                    "attributes": {
                        "dataset": [],
                        "series": [
                            {
                                "id": "DECIMALS",
                                "name": "Decimals",
                                "description": "The number of digits to the right of a decimal point.",
                                "relationship": relationship,
                                "role": None,
                                "values": [{"id": str(DECIMALS), "name": str(DECIMALS)}],
                            },
                            {
                                "id": "CALCULATED",
                                "name": "Calculated",
                                "description": "Indicates if the value is calculated or an actual observation.",
                                "relationship": relationship,
                                "role": None,
                                "values": [{"id": "false", "name": "false"}],
                            },
                            {
                                "id": "UNIT_MULT",
                                "name": "Unit Multiplier",
                                "description": "Exponent in base 10 specified so that multiplying the observation numeric values by 10^UNIT_MULT gives a value expressed in the UNIT.",
                                "relationship": relationship,
                                "role": None,
                                "values": [{"id": "0", "name": "Units"}],
                            },
                            {
                                "id": "COLLECTION",
                                "name": "Collection Indicator",
                                "description": "Dates or periods during which the observations have been collected.",
                                "relationship": relationship,
                                "role": None,
                                "values": [{"id": "C", "name": "ECB concertation time 14:15 CET"}],
                            },
                        ],
                        "observation": [],
                    },
                },
            },
        }


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = NorgesBankApi
