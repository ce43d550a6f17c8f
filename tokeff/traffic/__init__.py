"""A team's own traffic priced exactly on each model: `reader` (JSONL chat, text, CSV/Parquet),
`framing` (providers' documented per-message tokens) and `cost` (counts priced through
tokeff.costs.pricing, each part's language from tokeff.corpora.langid, the language tax against
tokeff.analysis.density)."""
