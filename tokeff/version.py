"""tokeff's version: one string, read by the build (hatch) and by every signature."""

__version__ = "0.1.0"
