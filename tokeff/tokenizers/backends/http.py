"""The HTTP plumbing of the count-API backends: which URLs are loopback, reading a key from the
environment, spacing requests (RateLimiter) and reading a provider's retry hints."""

from __future__ import annotations

import email.utils
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

from tokeff.errors import ApiCountError


class Retryable(Exception):
    """A failure worth another try (429, 5xx, a dropped connection), with the wait the provider asked for."""

    def __init__(self, what: str, wait_s: float | None, throttled: bool) -> None:
        super().__init__(what)
        self.what = what
        self.wait_s = wait_s
        self.throttled = throttled


def is_loopback(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host == "localhost" or host.startswith("127.") or host == "::1"


def key_from_env(names: Sequence[str]) -> str | None:
    """The first of the environment variables `names` that is set (surrounding blanks dropped).
    A key an HTTP header cannot carry (a line break, a control or non-Latin-1 character) is
    refused here, naming the variable and never the key."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            if any(ord(c) < 0x21 or ord(c) == 0x7F or ord(c) > 0xFF for c in value):
                raise ApiCountError(f"{name} holds a character an API key cannot have (a line break, a space, a "
                                    "control or a non-Latin-1 character); set it again from the provider's console")
            return value
    return None


class RateLimiter:
    """Spaces request starts at least 1/rate seconds apart across threads; `pause` holds every
    thread back (a 429 from the provider applies to all of them)."""

    def __init__(self, rate_per_s: float) -> None:
        self.interval = 1.0 / rate_per_s
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            stop.wait(slot - now)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds, fractional accepted, or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def gemini_retry_delay(err: Any) -> float | None:
    """Gemini's RetryInfo (`error.details[].retryDelay`, e.g. "13s"), if present."""
    if not isinstance(err, dict):
        return None
    for d in err.get("details") or []:
        if isinstance(d, dict) and isinstance(d.get("retryDelay"), str):
            m = re.fullmatch(r"(\d+(?:\.\d+)?)s", d["retryDelay"].strip())
            if m:
                return float(m.group(1))
    return None
