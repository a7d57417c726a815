"""Meta's page path: the Graph API's pages landed as sent and parsed by DuckDB (meta_ads_pages.sql) give
exactly the rows the row-by-row parse gave, and a bad page costs only its own account.

Both paths read the same sandbox through the official SDK; the rows land in real DuckDB files.
"""

import dataclasses
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from connectors import clock
from connectors.errors import MalformedPayloadError
from connectors.meta_ads import INSIGHTS
from connectors.meta_ads.client import (
    MetaAdsClient,
    MetaAdsSettings,
    fetch_window,
    landed_page,
    next_page_cursor,
    parse_insights_row,
)
from connectors.platform import ReplaceWindow, fetch_slices
from connectors.sandbox.meta_figures import meta_deliveries
from pipelines import warehouse

# The same table, loaded the way it was before the page path: records parsed in Python, NDJSON, read_json.
ROW_BY_ROW = dataclasses.replace(INSIGHTS, load=ReplaceWindow())
COMPARED = "select * exclude (_loaded_at, raw_row) from raw.meta_ads_insights"


Window = tuple[dt.date, dt.date]  # (since, until)


@pytest.fixture
def window(yesterday) -> Window:
    return yesterday - dt.timedelta(days=27), yesterday


def truth(sandbox, account_id, since, until):
    return list(meta_deliveries(sandbox.advertiser, account_id, since, until, sandbox.restatements))


def settings_with(meta_settings: MetaAdsSettings, **overrides) -> MetaAdsSettings:
    return dataclasses.replace(meta_settings, **overrides)


def load(database: Path, source, fetched, since, until, staging: Path) -> warehouse.StagedSync:
    staging.mkdir(parents=True, exist_ok=True)
    staged = warehouse.stage_records(fetched, staging, since, until)
    return warehouse.replace_slices(database, source, staged)


def load_row_by_row(settings, since, until, database, staging):
    client = MetaAdsClient(settings, sleep=lambda _s: None)
    fetched = fetch_slices(client, settings.account_ids, MetaAdsClient.daily_insights, since, until)
    return load(database, ROW_BY_ROW, fetched, since, until, staging)


def load_pages(settings, since, until, database, staging):
    return load(database, INSIGHTS, fetch_window(settings, since, until), since, until, staging)


def rows(database: Path, query: str = COMPARED) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return sorted(connection.execute(query).fetchall(), key=repr)


def raw_rows(database: Path) -> dict[tuple, dict]:
    """Each row's raw_row as the API's object, by (day, campaign, ad). The row-by-row path stored it as
    a JSON string holding the object; the page path stores the object."""
    found = {}
    for day, campaign, ad, raw in rows(database, "select date, campaign_id, ad_id, raw_row from raw.meta_ads_insights"):
        value = json.loads(raw)
        found[(day, campaign, ad)] = json.loads(value) if isinstance(value, str) else value
    return found


@pytest.mark.parametrize("level", ["campaign", "ad"])
def test_the_page_path_lands_exactly_the_rows_the_row_by_row_parse_did_before_and_after_a_restatement(
    sandbox, meta_settings, window: Window, tmp_path, level
):
    settings = settings_with(meta_settings, level=level, page_size=9)  # many pages, one cut mid-day
    before, after = tmp_path / "row_by_row.duckdb", tmp_path / "pages.duckdb"

    row_by_row = load_row_by_row(settings, *window, before, tmp_path / "a")
    pages = load_pages(settings, *window, after, tmp_path / "b")
    first = rows(after)

    assert rows(after) == rows(before) and pages.rows == row_by_row.rows > 100
    assert raw_rows(after) == raw_rows(before), "the raw row is the API's own, as before"
    with_actions = [row for row in raw_rows(after).values() if row.get("actions")]
    assert with_actions and all(isinstance(entry["value"], str) for entry in with_actions[0]["actions"])
    delivered = sum(len(truth(sandbox, account, *window)) for account in settings.account_ids)
    campaign_days = sum(len(sandbox.advertiser.campaigns_of(account)) for account in settings.account_ids) * 28
    campaign_days_landed = {(row[1], row[3]) for row in first}  # (date, campaign_id)
    assert len(campaign_days_landed) == delivered < campaign_days, "a campaign's day without delivery is no row"

    sandbox.restate()  # Meta revises the last days' conversions: both paths replace them alike
    load_row_by_row(settings, *window, before, tmp_path / "c")
    load_pages(settings, *window, after, tmp_path / "d")

    assert rows(after) == rows(before)
    assert rows(after) != first, "the restated figures replaced the first ones"


@pytest.mark.calendar
def test_rows_read_twice_after_a_range_was_split_land_once(sandbox, meta_settings, tmp_path):
    week = clock.today() - dt.timedelta(days=7), clock.yesterday()
    settings = settings_with(meta_settings, page_size=4)
    account = settings.account_ids[0]
    undisturbed = load_pages(settings, *week, tmp_path / "undisturbed.duckdb", tmp_path / "a")

    client = MetaAdsClient(settings, sleep=lambda _s: None)
    reading = client.insights_pages(account, *week)
    first_pages = [next(reading) for _ in range(2)]
    sandbox.faults.arm("meta", "reduce_data", times=3, phase="results")  # refuses 4, 2 and 1 rows: the range splits
    lines = first_pages + list(reading)
    client.close()
    loaded = load(tmp_path / "split.duckdb", INSIGHTS, [(account, iter(lines))], *week, tmp_path / "b")

    assert client.report_jobs_started == 3, "the whole range, then each half"
    assert sum(len(json.loads(line)["page"]["data"]) for line in lines) > loaded.rows, "some rows came twice"
    only_first_account = f"{COMPARED} where account_id = '{account}'"
    assert rows(tmp_path / "split.duckdb") == rows(tmp_path / "undisturbed.duckdb", only_first_account)
    assert loaded.rows == len(rows(tmp_path / "undisturbed.duckdb", only_first_account)) < undisturbed.rows


def test_a_malformed_row_fails_only_its_account_and_its_earlier_rows_stay(
    sandbox, meta_settings, window: Window, tmp_path
):
    database = tmp_path / "warehouse.duckdb"
    load_pages(meta_settings, *window, database, tmp_path / "a")
    earlier = rows(database)
    first, second = meta_settings.account_ids
    sandbox.restate()
    sandbox.faults.arm("meta", "malformed_payload", times=1)  # the first account's first page: spend '1.234,56'

    loaded = load_pages(meta_settings, *window, database, tmp_path / "b")

    assert loaded.slices == (second,)
    [failure] = loaded.failures
    assert isinstance(failure, MalformedPayloadError) and failure.account == first
    assert f"act_{first}" in str(failure) and 'spend="1.234,56" is not a number' in str(failure)
    assert "Row: {" in str(failure), "the row is quoted, to report"
    kept = [row for row in rows(database) if row[0] == first]
    assert kept == [row for row in earlier if row[0] == first], "the failed account keeps its earlier rows whole"
    assert [row for row in rows(database) if row[0] == second] != [row for row in earlier if row[0] == second]


def repaged(line: str, change_rows) -> str:
    """The landed line with its page's rows changed."""
    page = json.loads(line)["page"]
    return line[: line.index('"page":')] + '"page":' + json.dumps({**page, "data": change_rows(page["data"])}) + "}"


SECRET_LINK = '"paging":{"next":"https://graph.facebook.com/v1/x?access_token=EAAB-secret"}'


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        (lambda line: line[: len(line) // 2] + "," + SECRET_LINK, "not the JSON"),  # cut off mid-row
        (lambda line: line[: line.index('"page":')] + '"page":{' + SECRET_LINK + "}}", "without a data list"),
        (lambda line: line[: line.index('"page":')] + '"page":{"data":{"a":1},' + SECRET_LINK + "}}", "not the JSON"),
        (
            lambda line: line[: line.index('"page":')] + '"page":"' + SECRET_LINK.replace('"', "'") + '"}',
            "not the JSON",
        ),
        (lambda line: line.replace('"page":{', '"page":{"data":[],' + SECRET_LINK + ",", 1), "not the JSON"),
        (lambda line: repaged(line, lambda rows: rows[:1] + rows), "the same row"),
    ],
    ids=["cut off", "no data list", "data not a list", "a string", "a key twice", "a row twice"],
)
def test_a_page_not_as_graph_documents_it_fails_only_its_account_without_quoting_the_page(
    meta_settings, window: Window, tmp_path, broken, said
):
    first, second = meta_settings.account_ids
    client = MetaAdsClient(meta_settings, sleep=lambda _s: None)
    good = list(client.insights_pages(second, *window))
    bad = list(client.insights_pages(first, *window))
    client.close()
    bad[0] = broken(bad[0])

    loaded = load(tmp_path / "w.duckdb", INSIGHTS, [(first, iter(bad)), (second, iter(good))], *window, tmp_path)

    assert loaded.slices == (second,) and loaded.rows == len(rows(tmp_path / "w.duckdb")) > 0
    [failure] = loaded.failures
    assert failure.account == first and first in str(failure) and said in str(failure)
    assert "secret" not in str(failure), "a real paging link carries the token"


def test_a_page_larger_than_the_load_reads_fails_only_its_account_naming_the_limit(
    meta_settings, window: Window, tmp_path
):
    first, second = meta_settings.account_ids
    client = MetaAdsClient(meta_settings, sleep=lambda _s: None)
    good = list(client.insights_pages(second, *window))
    large = list(client.insights_pages(first, *window))
    client.close()
    # 40 MB of rows in one page (long campaign names, as a page of many wide ad-level rows would be)
    large[0] = repaged(
        large[0], lambda rows: [{**row, "campaign_name": "x" * 40_000} for row in (rows * 1_000)[:1_000]]
    )

    loaded = load(tmp_path / "w.duckdb", INSIGHTS, [(first, iter(large)), (second, iter(good))], *window, tmp_path)

    assert loaded.slices == (second,) and loaded.rows > 0
    [failure] = loaded.failures
    assert failure.account == first
    assert f"a page for account_id {first} larger than the 16 MB the load reads as one page" in str(failure)
    assert "Sync a shorter window or fewer fields" in str(failure) and "not the JSON" not in str(failure)


# Graph writes the token into every paging link; a JSON encoder may escape its `=` (Gson's `\u003d`).
@pytest.mark.parametrize(
    "link",
    [
        "https://graph.facebook.com/v26.0/1/insights?access_token=EAAB+se/cret=&limit=500",
        "https://graph.facebook.com/v26.0/1/insights?access_token=EAAB%2Bse%2Fcret%3D&limit=500",
        "https://graph.facebook.com/v26.0/1/insights?access_token\\u003dEAAB+se\\/cret\\u003d\\u0026limit=500",
    ],
    ids=["plain", "percent-encoded", "json-escaped"],
)
def test_the_token_in_graphs_paging_links_never_reaches_the_staging_file(link, tmp_path, monkeypatch):
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB+se/cret=")
    body = f'{{"data":[],"paging":{{"next":"{link}"}}}}'
    page = landed_page("123", "campaign", "Europe/Oslo", dt.date(2026, 11, 1), dt.date(2026, 11, 1), 0, body)

    staged = warehouse.stage_records([("123", iter([page]))], tmp_path, dt.date(2026, 11, 1), dt.date(2026, 11, 1))

    [line] = staged.files[0].read_text().splitlines()
    assert "EAAB" not in line and "cret" not in line and "limit" in line
    assert json.loads(line)["page"]["paging"]["next"].startswith("https://graph.facebook.com/v26.0/1/insights?")


@pytest.mark.parametrize(
    ("body", "after"),
    [
        ('{"data":[],"paging":{"cursors":{"before":"QQ","after":"Qg"},"next":"https://x/?after=Qg"}}', "Qg"),
        ('{"data": [], "paging" : {"cursors": {"after": "Qg"}, "next": "https://x"}}', "Qg"),  # spaced out
        ('{"data":[{"campaign_name":"\\"paging\\": {}"}],"paging":{"cursors":{"after":"Qg"}}}', None),  # last page
        ('{"data":[]}', None),
    ],
)
def test_the_next_page_is_read_from_paging_as_the_sdks_cursor_reads_it(body, after):
    assert next_page_cursor(body) == after


WIRE_ROW = {
    "account_id": "123",
    "account_currency": "NOK",
    "campaign_id": "238500001",
    "campaign_name": "Høstkampanje – æøå",
    "objective": "OUTCOME_SALES",
    "spend": "12.34",
    "impressions": "1000",
    "reach": "800",
    "frequency": "1.25",
    "clicks": "40",
    "inline_link_clicks": "30",
    "actions": [{"action_type": "purchase", "value": "2"}],
    "action_values": [{"action_type": "purchase", "value": "999.5"}],
    "date_start": "2026-11-02",
    "date_stop": "2026-11-02",
}


def parsed_both_ways(row: dict, tmp_path: Path):
    """The row as parse_insights_row makes it (or "refused"), and as the page SQL loads it (or "refused")."""
    day = dt.date(2026, 11, 2)
    try:
        by_python = parse_insights_row(row, "123", "campaign", day, day)
        by_python = (by_python["spend"], by_python["impressions"], by_python["reach"], by_python["frequency"],
                     by_python["clicks"], by_python["inline_link_clicks"], by_python["campaign_name"],
                     by_python["objective"], [tuple(a.values()) for a in by_python["actions"]],
                     [tuple(a.values()) for a in by_python["action_values"]])  # fmt: skip
    except MalformedPayloadError:
        by_python = "refused"
    page = json.dumps({"data": [row]})
    line = landed_page("123", "campaign", "Europe/Oslo", day, day, 0, page)
    loaded = load(tmp_path / "w.duckdb", INSIGHTS, [("123", iter([line]))], day, day, tmp_path)
    if loaded.failures:
        return by_python, "refused"
    [by_sql] = rows(
        tmp_path / "w.duckdb",
        "select spend, impressions, reach, frequency, clicks, inline_link_clicks, campaign_name, objective, "
        "[(a.action_type, a.value) for a in actions], [(a.action_type, a.value) for a in action_values] "
        "from raw.meta_ads_insights",
    )
    return by_python, (float(by_sql[0]), *by_sql[1:8], [tuple(a) for a in by_sql[8]], [tuple(a) for a in by_sql[9]])


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"spend": "0.125"},  # an exact half: Python rounds it to even
        {"spend": "0.625"},
        {"spend": "1.0E-5"},  # an exponent form
        {"spend": 12.5, "impressions": 1000},  # numbers, not strings
        {"spend": None, "reach": None},  # nothing to report: zero
        {"impressions": "1000.0"},
        {"actions": None, "action_values": []},
        {"actions": "", "action_values": {}},  # empty in other words: no actions
        {"objective": None},
        {"spend": "1.234,56"},  # refused both ways
        {"impressions": "12.5"},
        {"date_start": " 2026-11-02"},
        {"date_stop": "2026-11-03"},
        {"account_id": "124"},
        {"campaign_id": ""},
        {"objective": 7},
        {"actions": "purchase"},
        {"actions": [{"action_type": "purchase"}]},
        {"action_values": [{"action_type": "purchase", "value": "9,5"}]},
    ],
    ids=repr,
)
def test_a_single_row_is_read_by_the_page_sql_as_the_row_by_row_parse_reads_it(change, tmp_path):
    row = {key: value for key, value in {**WIRE_ROW, **change}.items()}
    for key in [key for key, value in change.items() if value is None and key != "objective"]:
        del row[key]  # Meta leaves out a metric with nothing to report

    by_python, by_sql = parsed_both_ways(row, tmp_path)

    assert by_sql == by_python
