"""`tokeff report`: measure corpora, price a workload, and write one directory a decision-maker
reads (index.html, report.md) and an analyst re-uses (ratios.csv/.parquet/.json, costs.csv,
multipliers.csv/.json, ratios.schema.json, manifest.json). Built in a temporary directory and
renamed into place, so an interrupted run never leaves half a report."""

from tokeff.report.build import POOLED, build_report
from tokeff.report.verify import verify_report

__all__ = ["POOLED", "build_report", "verify_report"]
