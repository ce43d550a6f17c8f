"""Is translating through English cheaper? A request in language L either goes to the main model
directly, or is translated to English, answered in English, and translated back by a cheaper
translator model. The break-even premium is found on the actual costs (tiers, caps, caching,
the translator's limits), so the printed threshold always agrees with the verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tokeff.corpora.languages import normalize_language
from tokeff.costs.fx import Fx, load_fx
from tokeff.costs.pricing import Ratios, _priced, cost, ratio_table_for, request_cost
from tokeff.costs.rates import RateBook, load_rates
from tokeff.costs.workload import Workload, load_workload
from tokeff.tokenizers.registry import load_registry


def pivot_break_even(workload: Workload | str | Path, main: str, translator: str, language: str,
                     ratios: pd.DataFrame | str | Path | None = None, *, rates: RateBook | None = None,
                     fx: Fx | None = None) -> dict[str, object]:
    """Should we translate to English first? Compares one request done directly in `language` on
    `main` with: `translator` turns the input into English, `main` answers in English, and
    `translator` turns the answer back. Returns both costs (USD), the measured premium of
    `main` for the language, and the break-even premium: the premium at which the direct
    request, priced as billed (caps, cache minimum, tiers), costs what the pivot does; pivoting
    is cheaper exactly when the measured premium is above it."""
    wl = workload if isinstance(workload, Workload) else load_workload(workload)
    book = rates or load_rates()
    lang = normalize_language(language)
    if not isinstance(ratios, pd.DataFrame):  # measure (or read) once for the three pricings below
        toks = [book.card(m).tokenizer for m in (main, translator)]
        ratios = ratio_table_for(wl, [load_registry().get(t).id for t in toks if t], ratios)
    direct = cost(wl.model_copy(update={"languages": {lang: 1.0}, "currency": "USD"}), [main], ratios,
                  rates=book, fx=fx)
    both = cost(wl.model_copy(update={"languages": {lang: 1.0}, "currency": "USD", "cached_share": 0.0,
                                      "batch_share": 0.0}), [main, translator], ratios, rates=book, fx=fx)
    ref = Ratios(ratios, wl.corpus, wl.domain).reference
    eng = cost(wl.model_copy(update={"languages": {ref: 1.0}, "currency": "USD"}), [main, translator], ratios,
               rates=book, fx=fx)

    def get(df: pd.DataFrame, model: str, col: str) -> float:
        return float(df.loc[df["model"] == model, col].iloc[0])

    m_card, t_card = book.card(main), book.card(translator)
    # translator: input (lang) -> English; answer (English) -> lang
    t_in_lang, t_out_lang = get(both, translator, "input_tokens"), get(both, translator, "output_tokens")
    t_in_en, t_out_en = get(eng, translator, "input_tokens"), get(eng, translator, "output_tokens")
    translate = request_cost(t_card, t_in_lang, t_in_en).cost + request_cost(t_card, t_out_en, t_out_lang).cost
    main_en = get(eng, main, "cost_per_request")
    pivot = main_en + translate
    direct_cost = get(direct, main, "cost_per_request")
    premium = get(direct, main, "premium")
    break_even = _break_even(wl.model_copy(update={"languages": {lang: 1.0}}), ratios, book, fx or load_fx(), main,
                             lang, premium, pivot)
    return {"language": lang, "main": m_card.model, "translator": t_card.model,
            "direct_cost_per_request": direct_cost, "pivot_cost_per_request": pivot,
            "translation_cost_per_request": translate, "english_cost_per_request": main_en,
            "premium": premium, "break_even_premium": break_even,
            "cheaper": "pivot through English" if pivot < direct_cost else "direct"}



def _break_even(wl: Workload, ratios: pd.DataFrame, book: RateBook, fx: Fx, main: str, lang: str,
                premium: float, pivot: float) -> float:
    """The premium at which `main`'s direct request in `lang` costs `pivot` (USD): the request is
    priced as billed at premium p (every token count of `lang` = p x English's on the same
    tokenizer), and the crossing nearest the measured premium on its far side is found, so the
    threshold and the verdict at the measured premium always agree. inf or 0 when none."""
    card = book.card(main)
    conv = Ratios(ratios, wl.corpus, wl.domain)
    tok = load_registry().get(card.tokenizer or "").id
    base, english = conv.row(lang, tok), conv.row(conv.reference, tok)
    minimum = book.cache_minimum(card.model)
    rate = float(fx.rate(card.currency, "USD"))

    def excess(p: float) -> float:  # direct cost at premium p minus the pivot's
        conv.rows[(lang, tok)] = base._replace(tokens=p * float(english.tokens))
        return _priced(wl, conv, card, tok, lang, minimum.tokens if minimum else None).cost * rate - pivot

    try:
        pivot_cheaper = excess(premium) > 0
        step = -0.01 if pivot_cheaper else 0.01  # walk away from the measured premium to the crossing
        p = premium
        while 0 < p + step < 50 and (excess(p + step) > 0) == pivot_cheaper:
            p += step
        if not 0 < p + step < 50:
            return 0.0 if pivot_cheaper else float("inf")
        lo, hi = sorted((p, p + step))
        for _ in range(50):  # bisect the crossing between lo and hi
            mid = (lo + hi) / 2
            if excess(mid) > 0:
                hi = mid
            else:
                lo = mid
        return hi
    finally:
        conv.rows[(lang, tok)] = base
