"""Settings read from the environment, in one place: whether the network may be used, and how
many threads a backend may use."""

from __future__ import annotations

import os


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
