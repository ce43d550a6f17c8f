"""The stable schema of the ratio table export (a JSON Schema, versioned): what each column
means and its unit, for cost models that import tokeff's ratios."""

from __future__ import annotations

from typing import Any

from tokeff._util.tableio import SCHEMA_VERSION
from tokeff.study.summary import RATIO_FIELDS


def ratio_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ratios.json: {tokeff_version, schema_version, rows: [...]}."""
    row = {
        "type": "object",
        "required": list(RATIO_FIELDS),
        "properties": {k: {"type": [t, "null"] if t == "number" else t, "description": d}
                       for k, (t, d) in RATIO_FIELDS.items()},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tokeff ratio table",
        "type": "object",
        "required": ["tokeff_version", "schema_version", "rows"],
        "properties": {
            "tokeff_version": {"type": "string"},
            "schema_version": {"const": SCHEMA_VERSION},
            "rows": {"type": "array", "items": row},
        },
    }
