"""Secondary analyses on the study's tables: fertility (tokens per word), effective context
windows, and how far a proxy tokenizer is from the provider's own counts."""
