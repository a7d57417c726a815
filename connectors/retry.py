"""Backoff shared by the connectors: exponential delays with full jitter, capped."""

from __future__ import annotations

import dataclasses
import random


@dataclasses.dataclass(frozen=True)
class Backoff:
    attempts: int = 5  # total tries for one call, the first included
    base_seconds: float = 2.0
    max_seconds: float = 120.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number `attempt` (1-based). Jitter spreads out retries
        so that parallel runs do not hit the platform again in lockstep."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
