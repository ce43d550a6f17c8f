"""The stable schema of the ratio table export (a JSON Schema, versioned): what each column
means and its unit, for cost models that import tokeff's ratios."""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1

RATIO_FIELDS: dict[str, tuple[str, str]] = {
    "corpus": ("string", "corpus name (a shipped corpus, a file stem, or `all-shipped` for the pooled corpora)"),
    "domain": ("string", "domain of the rows (`mixed` when a corpus spans several)"),
    "language": ("string", "BCP-47 tag of the language measured"),
    "tokenizer": ("string", "tokenizer id in tokenizer_registry.yaml"),
    "status": ("string", "exact | proxy | api: whether the tokenizer is the provider's own"),
    "segments": ("integer", "aligned segments counted"),
    "chars": ("integer", "Unicode code points of the language's side"),
    "bytes": ("integer", "UTF-8 bytes of the language's side"),
    "tokens": ("integer", "tokens of the language's side (no special tokens)"),
    "chars_per_token": ("number", "chars / tokens"),
    "bytes_per_token": ("number", "bytes / tokens"),
    "tokens_per_segment": ("number", "tokens / segments"),
    "premium": ("number", "tokens / reference_tokens: same content, same tokenizer (ratio of sums)"),
    "premium_low": ("number", "2.5th percentile of the paired (document-clustered) bootstrap"),
    "premium_high": ("number", "97.5th percentile of the paired (document-clustered) bootstrap"),
    "reference": ("string", "reference language of the premium"),
    "reference_tokens": ("integer", "tokens of the reference side of the same segments"),
    "tokens_per_1k_ref_words": ("number", "tokens per 1,000 whitespace words of the reference side"),
    "tokens_per_1k_ref_chars": ("number", "tokens per 1,000 characters of the reference side"),
    "ci_method": ("string", "how the CI was resampled"),
    "clusters": ("integer", "bootstrap units (documents, or segments)"),
    "n_resamples": ("integer", "bootstrap resamples"),
    "seed": ("integer", "bootstrap seed"),
    "corpus_digest": ("string", "sha256 of the corpus content measured"),
    "tokenizer_fingerprint": ("string", "sha256 over the tokenizer's files and settings"),
    "signature": ("string", "sacrebleu-style summary of everything that produced the row"),
}


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
