"""A team's own traffic priced exactly on each model: `reader` (JSONL chat, text, CSV/Parquet),
`langid` (each part's language), `framing` (providers' documented per-message tokens) and `cost`
(counts priced through tokeff.costs.pricing, the language tax against tokeff.analysis.density)."""
