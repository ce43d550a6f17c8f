"""Settings read from the environment, in one place: whether the network may be used, how
many threads a backend may use, and which values are secrets that no output may show."""

from __future__ import annotations

import os
import re


def online_allowed(online: bool | None = None) -> bool:
    """Whether tokeff may use the network: explicit argument, else TOKEFF_ONLINE=1."""
    if online is not None:
        return online
    return os.environ.get("TOKEFF_ONLINE", "").lower() in ("1", "true", "yes")


def workers() -> int:
    """How many threads a backend may use (TOKEFF_THREADS, else the CPUs this process may use)."""
    env = os.environ.get("TOKEFF_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)S?$|API_?KEY", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the value of every secret-looking environment variable (…_KEY, …_TOKEN,
    …_SECRET; 8 characters or more) replaced by <redacted>: for messages, traces and logs."""
    for name, value in os.environ.items():
        for v in {value, value.strip()}:
            if len(v) >= 8 and _SECRET_NAME.search(name) and v in text:
                text = text.replace(v, "<redacted>")
    return text
