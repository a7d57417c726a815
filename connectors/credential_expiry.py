"""How soon before a credential expires `social-roi check`, `social-roi connect` and every sync on it warn
(Platform.credential_warnings): one threshold for every platform, so that a Meta token and a LinkedIn refresh
token are warned of alike, and counted on the pipeline's clock (connectors/clock.py), so that a test or a rerun
with SOCIAL_ROI_TODAY set sees the day it names."""

from __future__ import annotations

import datetime as dt

from connectors import clock

# A credential that expires within this many days is warned of: two weeks leave two weekly passes and time for
# whoever holds the login to sign in again.
EXPIRY_WARNING_DAYS = 14


def days_left(when: dt.datetime) -> float:
    """Days from now until `when` (an aware datetime), by the pipeline's clock; negative once it has passed."""
    return (when - clock.now(dt.UTC)).total_seconds() / 86400
