"""How far the Claude-2 vocabulary (tokeff's `claude-2-proxy`) is from Claude 3/4's counts, without a key:
ctok 1.3.0 (PyPI, MIT) reconstructs Claude's count_tokens offline (its author reports it exact on
2.3M recorded count_tokens texts per generation: v3 = Claude 3 through Opus 4.6, v4.7 = Opus 4.7+).
The numbers in the `claude-2-proxy` entry's proxy_reason come from this script.

    pip download --no-deps --python-version 3.12 --only-binary=:all: ctok==1.3.0 -d /tmp/ctok
    unzip -q /tmp/ctok/ctok-1.3.0-py3-none-any.whl -d /tmp/ctok/src   # ctok asks for Python 3.12; its code runs on 3.11
    python bench/claude_proxy_vs_ctok.py /tmp/ctok/src flores200:/tmp/flores200:devtest support-chat

Content tokens only: ctok's count includes the one-message frame (its leading pad tokens), dropped here."""

from __future__ import annotations

import sys

import tokeff

LANGS = ["en", "ja", "ko", "zh-Hans", "zh-Hant"]


def main(ctok_dir: str, specs: list[str]) -> None:
    sys.path.insert(0, ctok_dir)
    from ctok import tokenize  # type: ignore[import-not-found]

    pad = "\u27e8pad\u27e9"
    proxy = tokeff.get_tokenizer("claude-2-proxy")
    for spec in specs:
        corpus = tokeff.load_corpus(spec)
        totals: dict[str, dict[str, int]] = {}
        for lang in LANGS:
            texts = list(corpus.texts[lang])
            totals[lang] = {
                "claude-2-proxy": sum(proxy.count(texts)),
                "ctok v3 (Claude 3-Opus 4.6)": sum(sum(t != pad for t in tokenize(x, "3.0")) for x in texts),
                "ctok v4.7 (Opus 4.7+)": sum(sum(t != pad for t in tokenize(x, "4.7")) for x in texts),
            }
        print(f"\n{corpus.name}: premium vs en (ratio of sums), and en tokens")
        for name in totals["en"]:
            prem = "  ".join(f"{lang} {totals[lang][name] / totals['en'][name]:.2f}" for lang in LANGS[1:])
            print(f"  {name:28s} en {totals['en'][name]:>7,}  {prem}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or ["support-chat"])
