"""The tokens a provider adds around each chat message (role markers, separators), where the
provider documents them. Only OpenAI does, for its chat models on cl100k_base and o200k_base:
3 tokens per message, 1 more when a message has a `name`, and 3 that prime the reply
(`<|start|>assistant<|message|>`). Anthropic, Google and the open-weight hosts do not publish a
per-message count, so nothing is added for their models, and the table says so."""

from __future__ import annotations

from dataclasses import dataclass

from tokeff.costs.rates import RateCard


@dataclass(frozen=True)
class Framing:
    per_message: int
    per_name: int
    reply: int
    source: str

    def tokens(self, messages: int, names: int) -> int:
        """Framing tokens of one request with `messages` input messages, `names` of them named."""
        return self.per_message * messages + self.per_name * names + self.reply


OPENAI = Framing(3, 1, 3, "OpenAI Cookbook, How to count tokens with tiktoken (num_tokens_from_messages: 3 per "
                 "message, 1 per name, 3 to prime the reply; gpt-3.5-turbo-0613 and later chat models); "
                 "as that notebook states it; not re-checked online on 2026-12-03 (no network here)")
NOT_DOCUMENTED = "per-message framing not documented by the provider: not counted"


def framing_for(card: RateCard, tokenizer: str) -> Framing | None:
    """The documented framing of a model's chat format, or None."""
    if card.provider == "openai" and tokenizer in ("o200k_base", "cl100k_base"):
        return OPENAI
    return None
