"""Held-out validation of the English-equivalent estimate that `tokeff traffic` uses.

    python bench/bench_traffic_validation.py [-t o200k_base -t llama3 ...] [--sample 20] [--out v.csv]

Each shipped corpus is left out in turn and the estimate fitted on the other seven; FLORES-200
devtest and NTREX-128 (from ../shared/corpora, unpacked into a temporary folder and deleted
after) are fitted on all eight shipped corpora. Only the non-English side of the held-out corpus
is fed in; its true English count (same tokenizer) is the truth. Prints, as markdown, one row per
held-out corpus x language x tokenizer (true English tokens, estimate, 95% interval, error) and
a summary per language x tokenizer (median and largest |error|, share within 5%, coverage).
--sample N also scores runs of N consecutive segments (a traffic-sized sample) and summarises
them. --beyond adds Thai, Vietnamese, Indonesian and Hindi (three shipped corpora have them, so each
left-out one is fitted on two; FLORES-200's Asia-Pacific devtest on three). Without ../shared it
runs the shipped corpora only and says so."""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

from tokeff._util.cache import CountCache
from tokeff.analysis.held_out import held_out_table, summary
from tokeff.corpora.loaders import load_corpus, shipped_corpora
from tokeff.tokenizers.tokenizer import get_tokenizer

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"
LANGUAGES = ["ja", "ko", "zh-Hans", "zh-Hant"]
BEYOND = ["th", "vi", "id", "hi"]  # in three shipped corpora; held out: FLORES-200's Asia-Pacific archive


def _public(tmp: Path, archives: tuple[tuple[str, str], ...]) -> list:  # type: ignore[type-arg]
    found = []
    for archive, spec in archives:
        if (SHARED / archive).is_file():
            dest = tmp / archive.split(".")[0]
            with tarfile.open(SHARED / archive) as tar:
                tar.extractall(dest, filter="data")
            found.append(load_corpus(spec.format(dest)))
        else:
            print(f"skip: {SHARED / archive} is absent", file=sys.stderr)
    return found


def _markdown(df: pd.DataFrame) -> str:
    return df.to_markdown(index=False, floatfmt=",.3f")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-t", "--tokenizer", action="append", help="tokenizer (repeatable); default o200k_base, llama3")
    ap.add_argument("--sample", type=int, default=None, help="also score runs of this many segments")
    ap.add_argument("--beyond", action="store_true", help="also th, vi, id, hi (held out: FLORES-200 apac devtest)")
    ap.add_argument("--out", type=Path, default=None, help="write every held-out row here (.csv)")
    args = ap.parse_args()
    toks = [get_tokenizer(t) for t in args.tokenizer or ["o200k_base", "llama3"]]
    shipped = [load_corpus(n) for n in shipped_corpora()]
    cache = CountCache()
    with tempfile.TemporaryDirectory() as tmp:
        public = _public(Path(tmp), (("flores200-cjk.tar.xz", "flores200:{}/flores200:devtest"),
                                     ("ntrex128-cjk.tar.xz", "ntrex128:{}/ntrex128")))
        apac = [c.select(["en", *BEYOND]) for c in _public(Path(tmp), (
            ("flores200-apac.tar.xz", "flores200:{}/flores200:devtest"),))] if args.beyond else []
        table = pd.concat([held_out_table(shipped, public, toks, LANGUAGES, cache=cache),
                           *([held_out_table(shipped, apac, toks, BEYOND, cache=cache)] if args.beyond else [])])
        sampled = (held_out_table(shipped, public, toks, LANGUAGES, sample_segments=args.sample, cache=cache)
                   if args.sample else None)
    shown = table.assign(interval=[f"[{lo:,.0f}, {hi:,.0f}]" for lo, hi in zip(table["low"], table["high"], strict=True)],
                         error=[f"{e:+.1%}" for e in table["error"]])
    print("## Held-out corpora (whole corpus as one sample)\n")
    print(_markdown(shown[["corpus", "language", "tokenizer", "true_english_tokens", "estimate", "interval", "error",
                           "covered"]]))
    print("\n## Summary\n")
    print(_markdown(summary(table)))
    print(f"\nall cells: {len(table)}, median |error| {table['error'].abs().median():.1%}, "
          f"within 5% {(table['error'].abs() <= 0.05).mean():.0%}, coverage {table['covered'].mean():.0%}")
    if sampled is not None:
        print(f"\n## Samples of {args.sample} consecutive segments\n")
        print(_markdown(summary(sampled)))
        print(f"\nall samples: {len(sampled)}, median |error| {sampled['error'].abs().median():.1%}, "
              f"coverage {sampled['covered'].mean():.0%}")
    if args.out:
        pd.concat([table, sampled]).to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
