"""Effective context: how much English-equivalent content fits in a model's context window
when the content is in another language.

A window of W tokens holds W / premium English-token-equivalents of content in a language whose
premium (same content, same tokenizer, vs English) is `premium`; in English words, the window
holds W x 1000 / tokens_per_1k_ref_words words of English content. The CI follows from the
premium's CI (a higher premium means less content: the low bound comes from premium_high).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from tokeff.errors import UsageError


@dataclass(frozen=True)
class ContextWindow:
    """A model's context window in its own tokens, the tokeff tokenizer id of its vocabulary,
    and where the number comes from."""

    tokenizer: str
    window: int
    source: str
    checked: str = "2026-11-23"


KNOWN_WINDOWS: dict[str, ContextWindow] = {
    # LABELLED EXAMPLES, not a maintained catalogue: total context (input + output) as each
    # provider states it, copied on the `checked` date without re-reading every page; check the
    # provider's page for the deployment you use (hosts may serve a shorter window, and a model
    # name can move to a newer snapshot with another window).
    "gpt-4o": ContextWindow("o200k_base", 128_000, "OpenAI model docs, platform.openai.com/docs/models/gpt-4o: 128,000 context window"),
    "gpt-4.1": ContextWindow("o200k_base", 1_047_576, "OpenAI model docs, platform.openai.com/docs/models/gpt-4.1: 1,047,576 context window"),
    "llama-3.3-70b": ContextWindow("llama3", 128_000, "Meta Llama 3.3 model card (github.com/meta-llama/llama-models): 128k context length"),
    "qwen-plus": ContextWindow("qwen2", 131_072, "Alibaba Cloud Model Studio (qwen-plus, Qwen2.5-based snapshots): 131,072 context window; newer qwen-plus snapshots offer up to 1M"),
    "deepseek-chat": ContextWindow("deepseek-v3", 128_000, "DeepSeek API docs, api-docs.deepseek.com (Models & Pricing): 128K context length (V3.1 and later; 64K for V3 in early 2025)"),
    "mistral-nemo": ContextWindow("mistral-tekken", 128_000, "Mistral AI, mistral.ai/news/mistral-nemo: context window of up to 128k tokens"),
}

CONTEXT_COLUMNS = [
    "model", "tokenizer", "window", "window_source", "corpus", "domain", "language", "premium",
    "premium_low", "premium_high", "effective_context", "effective_context_low", "effective_context_high",
    "english_words", "signature",
]

WindowSpec = ContextWindow | tuple[str, int]


def parse_windows(specs: Sequence[str] | None) -> dict[str, ContextWindow]:
    """The windows named by `specs`, each a KNOWN_WINDOWS model or NAME=TOKENIZER:WINDOW
    (e.g. my-llm=llama3:32768, underscores allowed in the number); every known window when
    `specs` is empty."""
    windows: dict[str, ContextWindow] = {}
    for m in specs or list(KNOWN_WINDOWS):
        if "=" in m:
            name, spec = m.split("=", 1)
            tok_id, _, size = spec.rpartition(":")
            if not name or not tok_id or not size.replace("_", "").isdigit() or not int(size.replace("_", "") or 0):
                raise UsageError(f"--model {m!r}: use NAME=TOKENIZER:WINDOW, e.g. my-llm=llama3:32768")
            windows[name] = ContextWindow(tok_id, int(size.replace("_", "")), "given on the command line")
        elif m in KNOWN_WINDOWS:
            windows[m] = KNOWN_WINDOWS[m]
        else:
            raise UsageError(f"no known window for {m!r}; known: {', '.join(KNOWN_WINDOWS)}; "
                             "or give NAME=TOKENIZER:WINDOW")
    return windows


def effective_context(ratios: pd.DataFrame, models: Mapping[str, WindowSpec] | None = None) -> pd.DataFrame:
    """One row per model x (corpus, domain, language) of `ratios` measured with the model's
    tokenizer: `effective_context` = window / premium in English-token-equivalents (with the
    premium CI's bounds), `english_words` = window x 1000 / tokens_per_1k_ref_words.

    `models` maps a model name to (tokenizer id, window in tokens) or a ContextWindow; default:
    KNOWN_WINDOWS. Models whose tokenizer is not in `ratios` are left out. Rows the ratio table
    marks `excluded` (see tokeff.study.diagnostics.apply_exclusions) get no effective context."""
    spec = models if models is not None else KNOWN_WINDOWS
    rows = []
    for model, w in spec.items():
        cw = w if isinstance(w, ContextWindow) else ContextWindow(w[0], int(w[1]), "given")
        part = ratios[ratios["tokenizer"] == cw.tokenizer]
        for r in part.to_dict("records"):
            excluded = bool(r.get("excluded", False))
            p, lo, hi = float(r["premium"]), float(r["premium_low"]), float(r["premium_high"])
            per_k = float(r["tokens_per_1k_ref_words"])
            nan = float("nan")
            rows.append({
                "model": model, "tokenizer": cw.tokenizer, "window": cw.window, "window_source": cw.source,
                "corpus": r["corpus"], "domain": r.get("domain", ""), "language": r["language"],
                "premium": p, "premium_low": lo, "premium_high": hi,
                "effective_context": nan if excluded else cw.window / p,
                "effective_context_low": nan if excluded else cw.window / hi,
                "effective_context_high": nan if excluded else cw.window / lo,
                "english_words": nan if excluded or not per_k == per_k or per_k == 0 else cw.window * 1000 / per_k,
                "signature": r.get("signature", ""),
            })
    return pd.DataFrame(rows, columns=CONTEXT_COLUMNS)
