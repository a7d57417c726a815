"""The GA4 Data API over gRPC, GA4's default transport, on a loopback port beside the HTTP sandbox.

One method, ``google.analytics.data.v1beta.BetaAnalyticsData/RunReport``, served by a grpcio server
with a generic handler that (de)serialises with the official client's own proto-plus types
(``RunReportRequest.deserialize`` / ``RunReportResponse.serialize``). The request goes through the
JSON the REST transport would send (``MessageToDict`` with enums as numbers, as the client's REST
transcoding does) into ``Ga4DataApi.report``, the code that answers REST: same rows, same faults,
same quota. Its refusals become the gRPC status of the same name with GA4's message, as the real
service answers; the ``authorization`` metadata, when the caller sends any, is checked as REST's header is.

The port uses gRPC's local credentials (no TLS, loopback peers only) rather than a plain insecure
port: a client may then attach per-call credentials (gRPC refuses call credentials on an insecure
channel), so a credential that cannot refresh fails on the client exactly as it does against
Google (UNAVAILABLE "Getting metadata from plugin failed with error: ..."). Clients on a plain
``grpc.insecure_channel`` are served too.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import grpc
from google.analytics.data_v1beta.types import RunReportRequest, RunReportResponse
from google.protobuf import json_format

from connectors.sandbox.ga4 import Ga4ApiError, Ga4DataApi

RUN_REPORT = "/google.analytics.data.v1beta.BetaAnalyticsData/RunReport"


class Ga4GrpcServer:
    """The gRPC face of `api`; binds its loopback port at once, serves between start() and stop()."""

    def __init__(self, api: Ga4DataApi, port: int = 0):
        self.api = api
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sandbox-ga4-grpc")
        self._server = grpc.server(self._executor)
        self._server.add_generic_rpc_handlers((_RunReportHandler(api),))
        credentials = grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        self.port = self._server.add_secure_port(f"127.0.0.1:{port}", credentials)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None).wait()
        self._executor.shutdown(wait=False)


class _RunReportHandler(grpc.GenericRpcHandler):
    def __init__(self, api: Ga4DataApi):
        self.api = api

    def service(self, handler_call_details):
        if handler_call_details.method != RUN_REPORT:
            return None  # gRPC answers UNIMPLEMENTED
        return grpc.unary_unary_rpc_method_handler(
            self.run_report,
            request_deserializer=RunReportRequest.deserialize,
            response_serializer=RunReportResponse.serialize,
        )

    def run_report(self, request: RunReportRequest, context: grpc.ServicerContext) -> RunReportResponse:
        self.api.sandbox.request_log.append(("RPC", RUN_REPORT))  # list.append is atomic
        body = json_format.MessageToDict(RunReportRequest.pb(request), use_integers_for_enums=True)
        property_id = body.pop("property", "").removeprefix("properties/")
        authorization = dict(context.invocation_metadata()).get("authorization")
        try:
            # gRPC gives text for a key without the -bin suffix
            payload = self.api.report(property_id, body, authorization if isinstance(authorization, str) else None)
        except Ga4ApiError as error:
            context.abort(grpc.StatusCode[error.status_name], error.message)
        # proto-plus's from_json builds the class it is called on; its stub says only Message
        return cast(RunReportResponse, RunReportResponse.from_json(json.dumps(payload), ignore_unknown_fields=True))
