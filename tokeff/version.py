"""tokeff's version, read from the installed distribution's metadata."""

from __future__ import annotations

import importlib.metadata

try:
    __version__ = importlib.metadata.version("tokeff")
except importlib.metadata.PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.1.0+unknown"
