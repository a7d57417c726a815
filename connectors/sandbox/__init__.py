"""Local stand-ins for the platforms' HTTP APIs, backed by one deterministic synthetic advertiser."""

from connectors.sandbox.server import Sandbox

__all__ = ["Sandbox"]
