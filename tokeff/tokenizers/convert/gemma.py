"""Gemma 3/4's vocabulary (262,144 ids; what Google's SDK counts Gemini 2.x/3.x tokens with),
offline, as a Hugging Face `tokenizers` tokenizer.json.

No PyPI package ships Gemma's tokenizer file, but llama.cpp ships the vocabulary as
`models/ggml-vocab-gemma-4.gguf` and llama-cpp-python vendors llama.cpp in its source
distribution. `add_gemma()` takes that GGUF (from the sdist, downloaded with pip only when the
network is allowed, or from a path the user gives), checks its sha256, rebuilds the tokenizer
and writes `tokenizer.json` into tokeff's data directory, where the registry entry `gemma3`
finds it.

The rebuilt tokenizer is Gemma's own design (the same as its Hugging Face tokenizer.json):

* normalizer: every " " becomes "▁" (no dummy prefix: `add_space_prefix` is false);
* no pre-tokenizer: BPE runs over the whole text. (llama.cpp splits runs of newlines from the
  rest; that cannot change a result here, because no token and no merge mixes a newline with
  anything else, which `convert()` checks);
* BPE with the GGUF's 514,906 ranked merges and byte fallback (`<0x00>`..`<0xFF>`), so any
  text round-trips;
* the 7 user-defined tokens (`<|tool_call>`, `<|"|>`, `<|channel>`...) are matched in the text
  as whole tokens, as llama.cpp and the Hugging Face tokenizer do. The 17 control tokens
  (`<bos>`, `<|turn>`...) are in the vocabulary but not matched in text: tokeff counts text as
  text, never special tokens;
* the post-processor adds `<bos>` (`add_bos_token`), which tokeff's counting never asks for.

Checked against llama.cpp's own tokenizer test for this vocabulary (`.gguf.inp` texts and
`.gguf.out` ids made by the model's Hugging Face tokenizer): every id matches.

    python -m tokeff.tokenizers.convert.gemma [--sdist FILE.tar.gz | --gguf FILE.gguf] [--out DIR] [--online]
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from tokeff._util.atomic import write_bytes_atomic
from tokeff._util.paths import cache_dir, data_home
from tokeff.errors import HashMismatchError, NetworkDisabledError, TokenizerUnavailableError
from tokeff.tokenizers.convert.gguf_vocab import CONTROL, USER_DEFINED, GGUFError, GGUFVocab, read_vocab

TOKENIZER_ID = "gemma3"

# Where the vocabulary comes from (checked 2026-11-23).
SDIST_PACKAGE = "llama-cpp-python"
SDIST_VERSION = "0.3.36"
SDIST_FILE = f"llama_cpp_python-{SDIST_VERSION}.tar.gz"
SDIST_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"  # 76.6 MB
SDIST_MODELS_DIR = "vendor/llama.cpp/models"
GGUF_NAME = "ggml-vocab-gemma-4.gguf"
GGUF_SIZE = 15_776_467
GGUF_SHA256 = "58b1ba0b57f3b4d7c468ba4ffd91ad85190346a3d7ad7e71d1cabaae8a14bb65"
VOCAB_SIZE = 262_144

# sha256 of the tokenizer.json that `convert()` writes from that GGUF (the registry pins it).
TOKENIZER_JSON_SHA256 = "b324ea3e618af24f803a2a881e29b10b605850900eef210bcf255a5244331ced"  # 11.5 MB

# "Hello world" -> these ids in Gemma 3 and 4 (no <bos>): a sanity check of every conversion.
HELLO_WORLD_IDS = [9259, 1902]


def pip_download_command(dest: str | os.PathLike[str] = "DIR") -> list[str]:
    """The pip command that fetches the source distribution holding the GGUF."""
    return ["pip", "download", "--no-deps", "--no-binary", ":all:",
            f"{SDIST_PACKAGE}=={SDIST_VERSION}", "-d", str(dest)]


def data_dir() -> Path:
    """tokeff's user data directory (see tokeff._util.paths.data_home)."""
    return data_home()


def default_target() -> Path:
    """Directory of the converted tokenizer.json (the registry's `gemma3` entry reads it there)."""
    return data_dir() / "tokenizers" / TOKENIZER_ID


def downloads_dir() -> Path:
    """Where a downloaded sdist is kept, so it is fetched once (under tokeff's cache)."""
    return cache_dir() / "downloads"


# --- finding the GGUF ----------------------------------------------------------------------

def gguf_from_sdist(sdist: Path, name: str = GGUF_NAME) -> bytes:
    """The bytes of `vendor/llama.cpp/models/<name>` inside a llama-cpp-python sdist."""
    try:
        with tarfile.open(sdist, "r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(f"/{SDIST_MODELS_DIR}/{name}"):
                    f = tar.extractfile(member)
                    assert f is not None
                    return f.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise TokenizerUnavailableError(f"{sdist}: cannot read it as a source distribution ({exc})") from exc
    raise TokenizerUnavailableError(
        f"{sdist} has no {SDIST_MODELS_DIR}/{name}; use {SDIST_PACKAGE}=={SDIST_VERSION}'s source "
        f"distribution ({' '.join(pip_download_command())})"
    )


def download_sdist(dest: Path) -> Path:
    """Fetch the sdist with pip (about 77 MB; pip also prepares its metadata, about 2 minutes)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", *pip_download_command(dest)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    path = dest / SDIST_FILE
    if done.returncode != 0 or not path.is_file():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise TokenizerUnavailableError(f"`{' '.join(cmd)}` failed (exit {done.returncode}):\n{tail}")
    return path


def _not_available_message() -> str:
    where = downloads_dir()
    return (
        f"Gemma's vocabulary ({GGUF_NAME}) is not on this machine and downloads are not allowed. "
        f"Either allow them (--online or TOKEFF_ONLINE=1), or fetch the source distribution yourself:\n"
        f"  {' '.join(pip_download_command(where))}\n"
        f"and run again (it is found there), or pass the file: "
        f"`python -m tokeff.tokenizers.convert.gemma --sdist {where / SDIST_FILE}` "
        f"(or --gguf PATH/{GGUF_NAME}, or set TOKEFF_GEMMA_GGUF)."
    )


def find_gguf(source: str | os.PathLike[str] | None = None, *, online: bool | None = None) -> tuple[bytes, str]:
    """The GGUF's bytes and where they came from: `source` (an sdist or a .gguf), else
    TOKEFF_GEMMA_GGUF, else an sdist in tokeff's downloads folder, else (only when the network
    is allowed) a fresh pip download. Not checked here; see `verified_gguf`."""
    from tokeff._util.settings import online_allowed

    if source is None and os.environ.get("TOKEFF_GEMMA_GGUF"):
        source = os.environ["TOKEFF_GEMMA_GGUF"]
    if source is not None:
        path = Path(source).expanduser()
        if not path.is_file():
            raise TokenizerUnavailableError(
                f"{path} does not exist; pass {GGUF_NAME} or {SDIST_FILE} "
                f"(get it with: {' '.join(pip_download_command())})"
            )
        if path.name.endswith((".tar.gz", ".tgz", ".tar")):
            return gguf_from_sdist(path), f"{path}:{SDIST_MODELS_DIR}/{GGUF_NAME}"
        return path.read_bytes(), str(path)
    cached = downloads_dir() / SDIST_FILE
    if not cached.is_file():
        if not online_allowed(online):
            raise NetworkDisabledError(_not_available_message())
        cached = download_sdist(downloads_dir())
    return gguf_from_sdist(cached), f"{cached}:{SDIST_MODELS_DIR}/{GGUF_NAME}"


def verified_gguf(data: bytes, where: str) -> GGUFVocab:
    """Parse the GGUF after checking it is the pinned file."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != GGUF_SHA256:
        raise HashMismatchError(
            f"{where} has sha256 {digest}, but tokeff expects {GGUF_SHA256} "
            f"({GGUF_NAME} of {SDIST_PACKAGE}=={SDIST_VERSION}). Refusing to convert a different file."
        )
    return read_vocab(data, where)


# --- conversion --------------------------------------------------------------------------

def convert(vocab: GGUFVocab) -> str:
    """tokenizer.json text (deterministic: the same GGUF always gives the same bytes)."""
    if vocab.model != "gemma4":
        raise GGUFError(f"tokenizer.ggml.model is {vocab.model!r}, expected 'gemma4' (Gemma's SentencePiece-style BPE)")
    tokens, types = vocab.tokens, vocab.token_types
    known = set(tokens)
    if len(known) != len(tokens):
        raise GGUFError("the vocabulary has duplicate tokens")
    if not vocab.merges:
        raise GGUFError("the GGUF stores no merges (tokenizer.ggml.merges)")
    missing = [f"<0x{b:02X}>" for b in range(256) if f"<0x{b:02X}>" not in known]
    if missing:
        raise GGUFError(f"byte-fallback tokens are missing: {missing[:4]}...")
    for merge in vocab.merges:
        if merge.count(" ") != 1:
            raise GGUFError(f"merge {merge!r} does not split into two tokens at one space")
    # No pre-tokenizer is exactly llama.cpp's newline split only while no token mixes a newline
    # with other characters; check it rather than assume it.
    mixed = [t for t, ty in zip(tokens, types, strict=True) if "\n" in t and t.strip("\n") and ty not in (CONTROL, USER_DEFINED)]
    if mixed:
        raise GGUFError(f"tokens mix newlines with other text ({mixed[:3]}); the conversion would need a newline split")

    unk = vocab.special_id("unknown")
    bos = vocab.special_id("bos")
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": False}
        for i, (t, ty) in enumerate(zip(tokens, types, strict=True)) if ty == USER_DEFINED
    ]
    post: dict[str, Any] | None = None
    if bos is not None and vocab.metadata.get("tokenizer.ggml.add_bos_token", False):
        bos_tok = tokens[bos]
        post = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos_tok, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos_tok, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos_tok, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos_tok: {"id": bos_tok, "ids": [bos], "tokens": [bos_tok]}},
        }
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
        "pre_tokenizer": None,
        "post_processor": post,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
        ]},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": tokens[unk] if unk is not None else None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(tokens)},
            "merges": vocab.merges,
        },
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _sanity_check(text: str) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(text)
    got = tok.encode("Hello world", add_special_tokens=False).ids
    if got != HELLO_WORLD_IDS:
        raise GGUFError(f"the converted tokenizer gives {got} for 'Hello world', Gemma gives {HELLO_WORLD_IDS}")
    sample = "東京駅から新大阪駅まで 약 2시간 🍣"
    back = tok.decode(tok.encode(sample, add_special_tokens=False).ids)
    if back != sample:
        raise GGUFError(f"the converted tokenizer does not round-trip {sample!r} (got {back!r})")


def add_gemma(target_dir: str | os.PathLike[str] | None = None,
              sdist: str | os.PathLike[str] | None = None, *,
              online: bool | None = None, force: bool = False) -> Path:
    """Make Gemma's tokenizer.json and return its path.

    `sdist` is llama-cpp-python's source distribution or the `.gguf` itself; without it the
    GGUF is looked for at TOKEFF_GEMMA_GGUF and in tokeff's downloads folder, and downloaded
    with pip only when the network is allowed (`online`, else TOKEFF_ONLINE=1). The result goes
    to `target_dir` (default `default_target()`, where the registry looks) with a
    `provenance.json` beside it. A target that already holds the expected file is left as is."""
    target = Path(target_dir).expanduser() if target_dir is not None else default_target()
    out = target / "tokenizer.json"
    if not force and out.is_file() and hashlib.sha256(out.read_bytes()).hexdigest() == TOKENIZER_JSON_SHA256:
        return out
    data, where = find_gguf(sdist, online=online)
    vocab = verified_gguf(data, where)
    text = convert(vocab)
    blob = text.encode("utf-8")
    digest = hashlib.sha256(blob).hexdigest()
    if digest != TOKENIZER_JSON_SHA256:
        raise HashMismatchError(
            f"converting {where} gave a tokenizer.json with sha256 {digest}, but tokeff pins "
            f"{TOKENIZER_JSON_SHA256}; the registry would refuse it (a tokeff bug: please report it)."
        )
    _sanity_check(text)
    write_bytes_atomic(out, blob)
    provenance = {
        "tokenizer": TOKENIZER_ID,
        "source": where,
        "source_package": f"{SDIST_PACKAGE}=={SDIST_VERSION}",
        "gguf": GGUF_NAME,
        "gguf_sha256": GGUF_SHA256,
        "tokenizer_json_sha256": digest,
        "vocab_size": len(vocab.tokens),
        "merges": len(vocab.merges),
    }
    write_bytes_atomic(target / "provenance.json", (json.dumps(provenance, indent=2) + "\n").encode())
    return out
