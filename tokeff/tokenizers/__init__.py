"""Stage 1, tokenizers: the registry (which tokenizer each model uses, where its files come from),
hash-checked file loading, one backend table, per-tokenizer diagnostics, and converters for
vocabularies published in other formats."""
