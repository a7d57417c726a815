"""The sandbox HTTP server: one loopback port that answers as the platforms' APIs do (and a second
one for GA4 over gRPC, ``ga4_grpc.py``, started and stopped with it).

Each platform lives in its own module, named after its connector (``meta_ads.py``, ``ga4.py``,
``linkedin_ads.py``, ``fx_rates.py``, ...) and named by the platform's declaration
(``Platform.sandbox``): the server mounts the module of every platform in connectors/registry.py.
Each exposes ``API`` (its routes) and ``environment()``, the settings that point its connector
here; its figures come from the synthetic advertiser (``advertiser.py``) through its ``*_figures.py``.
This module holds what they share: the threaded HTTP server, the fault switches tests flip, the
merged settings (``Sandbox.environment()``), and a small control API (``/_sandbox/...``) so that a
sandbox started with ``social-roi sandbox`` can be steered from outside the process.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self

from connectors.sandbox import ga4_grpc
from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.http import Request, Response, Route
from connectors.sandbox.meta_ads import TokenLimit

if TYPE_CHECKING:
    from connectors.sandbox.facebook_pages import FacebookPagesApi
    from connectors.sandbox.fx_rates import NorgesBankApi
    from connectors.sandbox.ga4 import Ga4DataApi
    from connectors.sandbox.instagram import InstagramApi
    from connectors.sandbox.linkedin_ads import LinkedInRestApi
    from connectors.sandbox.linkedin_pages import LinkedInOrganizationApi
    from connectors.sandbox.meta_ads import MetaGraphApi

# How often the serving loop looks for a stop request (socketserver's default is 0.5 s).
STOP_POLL_SECONDS = 0.02


def platform_sandboxes() -> dict[str, ModuleType]:
    """The sandbox module of every registered platform that has one, by platform name, in the
    registry's order: each has an `API` class (its routes) and environment(sandbox)."""
    from connectors.registry import PLATFORMS

    return {
        platform.name: importlib.import_module(platform.sandbox)
        for platform in PLATFORMS
        if platform.sandbox is not None
    }


@dataclasses.dataclass
class Fault:
    platform: str
    kind: str
    remaining: int | None  # None: stays armed until cleared
    options: dict


class FaultSwitches:
    """Faults armed by tests (or through the control API) and consumed by the platform routers."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, platform: str, kind: str, times: int | None = 1, **options) -> None:
        with self._lock:
            self._faults.append(Fault(platform, kind, times, options))

    def take(self, platform: str, kind: str) -> Fault | None:
        """Consume one use of an armed fault of this kind, if any."""
        return self._take(lambda fault: fault.platform == platform and fault.kind == kind)

    def take_for(self, platform: str, kind: str, option: str, target: str) -> Fault | None:
        """Consume one use of an armed fault of this kind meant for `target`: its `option` names it, or
        is not given (every target). A fault meant for another target is left as it was."""

        def meant_for_target(fault: Fault) -> bool:
            meant_for = str(fault.options.get(option, "")).rsplit(":", 1)[-1]  # an id or a URN
            return fault.platform == platform and fault.kind == kind and meant_for in ("", target)

        return self._take(meant_for_target)

    def take_matching(self, platform: str, kind: str, meant_for: Callable[[Fault], bool]) -> Fault | None:
        """Consume one use of an armed fault of this kind that `meant_for` accepts (a target the fault's options
        name indirectly, such as the business an account belongs to)."""
        return self._take(lambda fault: fault.platform == platform and fault.kind == kind and meant_for(fault))

    def _take(self, wanted: Callable[[Fault], bool]) -> Fault | None:
        """Consume one use of the first armed fault `wanted` accepts; a fault used up is disarmed."""
        with self._lock:
            for fault in self._faults:
                if wanted(fault):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class Sandbox:
    """The synthetic advertiser served over HTTP on a loopback port.

    ``restate_each_sync``: when true (the demo), every new report a platform is asked for sees
    more late conversions than the one before, as the real platforms restate recent days. Tests
    leave it off and call ``restate()`` when they want a restatement.

    ``meta_report_seconds``: how long Meta takes to produce an insights report once started (at
    least; the sandbox also wants its polls). 0, the default, leaves only the polls: tests stay quick.

    ``meta_calls_per_token``: how many Marketing API calls one token may make in ``meta_usage_window_seconds``,
    across every caller (meta_ads.TokenLimit); None, the default, sets no such limit.
    """

    def __init__(
        self,
        seed: int = 7,
        port: int = 0,
        restate_each_sync: bool = False,
        today=None,
        meta_report_seconds: float = 0.0,
        meta_calls_per_token: int | None = None,
        meta_usage_window_seconds: float = 3600.0,
        **advertiser_options,
    ):
        self.advertiser = SyntheticAdvertiser(seed=seed, today=today, **advertiser_options)
        self.faults = FaultSwitches()
        self.restate_each_sync = restate_each_sync
        self.meta_report_seconds = meta_report_seconds
        self.restatements = 0
        self.request_log: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._sandboxes = platform_sandboxes()
        # one API per registered platform, by platform name
        self.apis: dict[str, Any] = {name: module.API(self) for name, module in self._sandboxes.items()}
        if meta_calls_per_token is not None:
            self.meta.token_limit = TokenLimit(meta_calls_per_token, meta_usage_window_seconds)
        self.ga4_grpc = ga4_grpc.Ga4GrpcServer(self.ga4)  # GA4 over gRPC, on a loopback port of its own
        # Routes that take any id of a shape (Meta's Graph ids) come after those that serve their own ids on it.
        in_order = sorted(self.apis.values(), key=lambda api: getattr(api, "FALLBACK_ROUTES", False))
        self._routes: list[tuple[str, re.Pattern, Route]] = [
            ("POST", re.compile(r"^/_sandbox/faults$"), self._arm_fault),
            ("POST", re.compile(r"^/_sandbox/restate$"), self._restate_route),
            *(route for api in in_order for route in api.routes()),
        ]
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # Typed handles on the platforms' own APIs, for tests that read what a platform was asked.
    @property
    def meta(self) -> MetaGraphApi:
        return self.apis["meta"]

    @property
    def facebook_pages(self) -> FacebookPagesApi:
        return self.apis["facebook_pages"]

    @property
    def instagram(self) -> InstagramApi:
        return self.apis["instagram"]

    @property
    def linkedin(self) -> LinkedInRestApi:
        return self.apis["linkedin"]

    @property
    def linkedin_pages(self) -> LinkedInOrganizationApi:
        return self.apis["linkedin_pages"]

    @property
    def ga4(self) -> Ga4DataApi:
        return self.apis["ga4"]

    @property
    def norges_bank(self) -> NorgesBankApi:
        return self.apis["fx"]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def control_help(self) -> str:
        """How to steer a running sandbox from outside its process."""
        return f'Faults: POST {self.base_url}/_sandbox/faults {{"platform": "meta", "kind": "throttle"}}; restatement: POST {self.base_url}/_sandbox/restate; GA4 over gRPC instead of REST: GA4_GRPC_TARGET={self.ga4_grpc.target} without GA4_API_URL'

    def environment(self) -> dict[str, str]:
        """The settings that point every connector at this sandbox instead of the real platforms."""
        settings: dict[str, str] = {}
        for module in self._sandboxes.values():
            settings.update(module.environment(self))
        return settings

    def restate(self) -> None:
        """Late conversions arrive: the next reports show more conversions for recent days."""
        with self._lock:
            self.restatements += 1

    def restatements_for_new_report(self) -> int:
        """How many restatements a report started now sees (one more each time in demo mode)."""
        with self._lock:
            if self.restate_each_sync:
                self.restatements += 1
            return self.restatements

    def start(self) -> Self:
        self.ga4_grpc.start()
        # A short poll: stop() waits for the serving loop's next poll, and tests stop a sandbox each.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": STOP_POLL_SECONDS}, name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.ga4_grpc.start()
        try:
            self._server.serve_forever(poll_interval=STOP_POLL_SECONDS)
        finally:
            self.ga4_grpc.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.ga4_grpc.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _arm_fault(self, request: Request, _match) -> Response:
        spec = json.loads(request.body or b"{}")
        self.faults.arm(spec.pop("platform"), spec.pop("kind"), spec.pop("times", 1), **spec)
        return Response.json(200, {"armed": True})

    def _restate_route(self, request: Request, _match) -> Response:
        self.restate()
        return Response.json(200, {"restatements": self.restatements})

    def dispatch(self, request: Request) -> Response:
        with self._lock:
            self.request_log.append((request.method, request.path))
        for method, pattern, route in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return route(request, match)
        return Response.json(404, {"error": {"message": f"sandbox: no route for {request.method} {request.path}"}})

    def _handler_class(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm holds the
            # body until the client's delayed ACK (~40 ms on Linux) on every keep-alive request.
            disable_nagle_algorithm = True

            def _handle(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                form = {}
                # A form body decoded as every server decodes application/x-www-form-urlencoded: `+` is a space,
                # %XX a byte (RFC 6749 Appendix B; url.spec.whatwg.org/#urlencoded-parsing).
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
                request = Request(
                    method=self.command,
                    path=re.sub(r"/+$", "", re.sub(r"//+", "/", parsed.path)) or "/",
                    query=dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
                    form=form,
                    body=body,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    base_url=sandbox.base_url,
                    raw_query=parsed.query,
                )
                response = sandbox.dispatch(request)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, format, *args):  # keep test output and demo output quiet
                pass

        return Handler
