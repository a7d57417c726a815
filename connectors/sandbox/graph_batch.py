"""Graph API batch requests: many Graph calls in one HTTP request, answered one by one by the sandbox's own routes.

Faithful details (developers.facebook.com/docs/graph-api/batch-requests, "Batch Requests"):
- A batch is a POST to Graph's root (or a versioned root, as the facebook-business SDK sends it: ``FacebookAdsApiBatch.
  execute`` posts ``batch`` to ``<graph>/<version>/``, facebook_business/api.py) whose ``batch`` parameter is a JSON
  array of requests, each with ``method``, ``relative_url`` ("the portion of the URL after graph.facebook.com"),
  optional ``headers`` ([{"name", "value"}]) and ``body`` (form-encoded, for POST).
- "Batch requests are limited to 50 requests per batch. Each call within the batch is counted separately for the
  purposes of calculating API call limits": each request is dispatched as if it came alone, so it meets every
  throttle, usage header and fault a lone call would, and lands in the request logs.
- The answer is an array in the order of the requests, each "a status code, an optional headers array, and an
  optional body (which is a JSON encoded string)"; a request that fails has its own error in its entry while the
  others still complete (same page, "Errors"). ``include_headers=false`` leaves the headers out.
- The top-level access token serves every request that names none of its own (same page, on giving requests
  different access tokens).
- A batch that runs out of time is answered in part: the requests it completed as usual, the others null, to be
  retried (same page, "Timeouts"; the SDK likewise hands the calls whose response was null back as a new batch,
  ``FacebookAdsApiBatch.execute``, facebook_business/api.py).

The sandbox's own choice: a relative_url without a version is served at the batch's own version, the newest when
the batch names none (Graph serves an unversioned call at the app's default version, which the sandbox does not
model).
Meta documents the 50-request limit but not the wording of its refusal, nor that of a missing or unreadable
``batch``: those two messages are the sandbox's own, under Graph's usual code 100.

Fault kind ``batch_timeout`` (armed on "meta"): the batch completes its first ``completed`` requests (default 1)
and answers null for the rest, as a batch that ran out of time.
"""

from __future__ import annotations

import json
import re
import urllib.parse

from connectors.graph import MAX_REQUESTS_PER_BATCH  # Graph's documented limit, kept with its source in one place
from connectors.sandbox.http import Request, Response

FAULT_PLATFORM = "meta"
ROOT = re.compile(r"^/(v\d+\.\d+)?$")
VERSIONED = re.compile(r"^v\d+\.\d+/")


def answer_batch(sandbox, request: Request, match: re.Match, newest_version: str) -> Response:
    """The array of answers to the requests in `batch`, each dispatched through the sandbox's routes."""
    from connectors.sandbox.meta_ads import _graph_error

    try:
        calls = json.loads(request.param("batch") or "")
    except ValueError:
        calls = None
    if not isinstance(calls, list) or not all(isinstance(call, dict) and call.get("relative_url") for call in calls):
        return _graph_error(400, "(#100) batch must be a JSON array of requests, each with a relative_url", 100)
    if len(calls) > MAX_REQUESTS_PER_BATCH:
        return _graph_error(
            400, f"(#100) A batch may hold at most {MAX_REQUESTS_PER_BATCH} requests; this one holds {len(calls)}", 100
        )
    version = match.group(1) or newest_version
    with_headers = (request.param("include_headers") or "true").lower() != "false"
    timeout = sandbox.faults.take(FAULT_PLATFORM, "batch_timeout")
    completed = len(calls) if timeout is None else int(timeout.options.get("completed", 1))
    answers: list[dict | None] = []
    for index, call in enumerate(calls):
        if index >= completed:
            answers.append(None)
            continue
        answer = sandbox.dispatch(_one_request(call, request, version))
        entry: dict = {"code": answer.status, "body": answer.body.decode()}
        if with_headers:
            entry["headers"] = [{"name": name, "value": value} for name, value in answer.headers.items()]
        answers.append(entry)
    return Response.json(200, answers)


def _one_request(call: dict, batch: Request, version: str) -> Request:
    """A request of the batch as the sandbox's routes see a lone call: its path at the batch's version, its query,
    its form body, its headers, and the batch's token unless it names its own."""
    relative = urllib.parse.urlsplit(str(call["relative_url"]).lstrip("/"))
    path = relative.path if VERSIONED.match(relative.path) else f"{version}/{relative.path}"
    query = dict(urllib.parse.parse_qsl(relative.query, keep_blank_values=True))
    form = dict(urllib.parse.parse_qsl(str(call.get("body") or ""), keep_blank_values=True))
    if "access_token" not in query and "access_token" not in form and batch.param("access_token") is not None:
        query["access_token"] = str(batch.param("access_token"))
    headers = {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in call.get("headers") or []}
    return Request(
        method=str(call.get("method") or "GET").upper(),
        path="/" + path.rstrip("/"),
        query=query,
        form=form,
        body=str(call.get("body") or "").encode(),
        headers=headers,
        base_url=batch.base_url,
        raw_query=urllib.parse.urlencode(query),
    )
