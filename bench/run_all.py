"""All of issue 6's benchmarks in one run, as one markdown report.

    python bench/run_all.py [--gb 1] [--quick]

1. bench_measure.py: per offline tokenizer, the fastest raw encode (MB/s, Mtok/s) next to
   tokeff's count of the same texts (FLORES-200 dev+devtest x en/ja/ko/zh-Hans/zh-Hant), the
   overhead ratio, cold and warm; the study (one call over all tokenizers); the whole
   `tokeff measure` process for o200k_base + cl100k_base + llama3, cold and warm.
2. bench_stream.py: `tokeff measure --stream` on generated corpora of GB/10 and GB gigabytes,
   with each child's peak RSS.
3. bench_peer.py: the same FLORES job (three tokenizers) run by the peer tool tokscope from PyPI.

--quick: best of 1 instead of 3 and a 0.02 GB stream (a smoke test of a few minutes).
Progress goes to stderr, the report to stdout. Needs ../shared (FLORES); exits 0 with a
'skip' line when it is absent. Exits 1 when a token-count check fails."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import bench_measure  # beside this file: `python bench/run_all.py` puts bench/ on sys.path
import bench_peer
import bench_stream


def tokenizer_table(m: dict) -> list[str]:
    mb = m["mb"]
    out = ["| tokenizer | fastest raw way | raw MB/s | raw Mtok/s | tokeff MB/s | overhead | cold s | warm s |",
           "|---|---|---|---|---|---|---|---|"]
    for r in m["rows"]:
        out.append(f"| {r['id']} | {r['fastest']} | {mb / r['raw_s']:.1f} | {r['tokens'] / r['raw_s'] / 1e6:.2f} "
                   f"| {mb / r['count_s']:.1f} | {r['count_s'] / r['raw_s']:.2f}x | {r['cold']:.2f} | {r['warm']:.3f} |")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gb", type=float, default=1.0, help="size of the large stream corpus (the small one is GB/10)")
    ap.add_argument("--quick", action="store_true", help="best of 1, and a 0.02 GB stream")
    ap.add_argument("--peer-venv", type=Path, default=bench_peer.PEER_VENV)
    args = ap.parse_args()
    if not bench_measure.ARCHIVE.is_file():
        print(f"skip: {bench_measure.ARCHIVE} is absent (../shared is needed for FLORES-200)")
        return 0
    bench_peer.ensure_tokeff_python()
    gb, repeat = (0.02, 1) if args.quick else (args.gb, 3)

    t0 = time.perf_counter()
    m = bench_measure.run(repeat=repeat)
    bench_measure.log(f"stream: {gb / 10:g} GB and {gb:g} GB")
    stream = bench_stream.run_stream(gb)
    bench_measure.log("peer: tokscope and tokeff on the same FLORES job")
    peer = bench_peer.run(args.peer_venv)
    peer_checks, bad_peer = bench_peer.checks(peer)
    bad = bad_peer + sum(r["raw_tokens"] != r["tokens"] for r in m["rows"])

    print(f"# tokeff benchmarks (issue 6){' — quick' if args.quick else ''}\n")
    print(f"{m['corpus']}; in-process times are the best of {repeat}; total run {time.perf_counter() - t0:.0f} s\n")
    print("## Per tokenizer: fastest raw encode vs tokeff's count of the same texts\n")
    print("\n".join(tokenizer_table(m)))
    print("\noverhead = tokeff count s / fastest raw s; cold = load + count + write the cache; warm = every count "
          "cached, nothing loaded\n")
    print("\n".join([*bench_measure.summary_lines(m), *bench_measure.notes(m)]))
    print("\n## Stream: a corpus larger than memory\n")
    print(bench_stream.report(stream))
    print(f"\n## Peer: {bench_peer.PEER[0]} {bench_peer.PEER[1]} on the same FLORES job\n")
    print(bench_peer.comparison_table(peer))
    print(f"\n{peer_checks}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
