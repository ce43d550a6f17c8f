"""The bad-input catalogue: every bad input and fault tokeff handles, one row each, so each stays
handled. A row is the input (files made in a fresh folder, the command, its environment), the
exit code, words the one `error:` line must hold, and the promise that no file in the folder
changed, appeared or went. No row may end in a Python traceback."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tokeff.cli import app

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-ant-PLANTED-0123456789abcdef"
runner = CliRunner()


def _tsv(d: Path, name: str = "t.tsv", rows: str = "en\tja\nhello world\tこんにちは世界\n") -> str:
    (d / name).write_text(rows, encoding="utf-8")
    return name


def _folder(d: Path, name: str, files: dict[str, str] | None = None) -> str:
    (d / name).mkdir()
    for fname, text in (files or {}).items():
        (d / name / fname).write_text(text, encoding="utf-8")
    return name


def _native(d: Path, ja: bytes = "一つ目\n二つ目\n".encode()) -> str:
    """A two-segment corpus folder in tokeff's layout; `ja` may be made bad."""
    _folder(d, "corp", {"corpus.yaml": "name: corp\ndomain: test\ndescription: test corpus\nlanguages: [en, ja]\n"
                                       "segments: 2\ndocuments: 1\nlicense: CC0-1.0\nprovenance: written for this test\n",
                        "en.txt": "first one\nsecond one\n"})
    (d / "corp" / "ja.txt").write_bytes(ja)
    return "corp"


def _long_native(d: Path) -> str:
    """3,000 segments whose Japanese file has an invalid byte at line 2,500: the stream has written
    several chunks of --segments-out when it meets it."""
    name = _native(d, b"".join(f"{i}番目の文です。\n".encode() if i != 2500 else b"\xff\n" for i in range(1, 3001)))
    (d / name / "en.txt").write_text("".join(f"Sentence number {i}.\n" for i in range(1, 3001)), encoding="utf-8")
    (d / name / "corpus.yaml").write_text((d / name / "corpus.yaml").read_text(encoding="utf-8")
                                          .replace("segments: 2", "segments: 3000"), encoding="utf-8")
    return name


def _parquet(d: Path, ja: list[object]) -> str:
    pd.DataFrame({"en": ["hello world"] * len(ja), "ja": ja}).to_parquet(d / "t.parquet")
    return "t.parquet"


def _rates(d: Path, as_of: str, extra: str = "") -> dict[str, str]:
    text = (ROOT / "model_rates.yaml").read_text(encoding="utf-8")
    at = text.index("\n# A one-hour cache write")  # `extra` goes at the end of cache_minimums
    text = text[:at] + "\n" + extra + text[at:]
    (d / "rates.yaml").write_text(re.sub(r"^as_of: .*$", f"as_of: {as_of}", text, count=1, flags=re.M),
                                  encoding="utf-8")
    return {"TOKEFF_RATES": str(d / "rates.yaml")}


def _bad_utf8(d: Path) -> str:
    (d / "b.txt").write_bytes(b"ok\n\xff\n")
    return "b.txt"


def _workload(d: Path, extra: str, requests: str = "1000") -> str:
    (d / "w.yaml").write_text(f"name: w\ncorpus: sample\nrequests_per_month: {requests}\ninput: {{english_words: 100}}\n"
                              f"output: {{english_words: 50}}\nlanguages: {{en: 0.5, ja: 0.5}}\n{extra}\n",
                              encoding="utf-8")
    return "w.yaml"


def _corrupt_cache(d: Path) -> str:
    """A cache folder beside the test's folder (tokeff writes snapshots there) with a broken database."""
    cache = d.parent / f"{d.name}-cache"
    cache.mkdir()
    (cache / "counts.sqlite").write_text("not a database " * 100, encoding="utf-8")
    return str(cache)


def _report_dir(d: Path) -> str:
    """A folder that looks like a report but whose manifest is not JSON."""
    return _folder(d, "rep", {"manifest.json": "{not json", "ratios.csv": "x\n"})


def _traffic(d: Path, name: str, data: bytes | str) -> str:
    """A traffic file; `data` written as given (bytes may be invalid UTF-8)."""
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return name


TRAFFIC_OK = '{"messages": [{"role": "user", "content": "注文はいつ届きますか？"}]}\n'


LOCAL_API = {"TOKEFF_ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}


def _no_data(d: Path, **extra: str) -> dict[str, str]:
    """An empty tokeff data folder beside the test's folder: no tokenizer was fetched there."""
    return {"TOKEFF_DATA_DIR": str(d.parent / f"{d.name}-data"), "TOKEFF_FETCH_TIMEOUT": "3", **extra}


def _altered_mirror(d: Path) -> dict[str, str]:
    """A file:// mirror beside the test's folder whose tokenizer.json is not the pinned one."""
    mirror = d.parent / f"{d.name}-mirror"
    (mirror / "someorg/fake/resolve/main").mkdir(parents=True)
    (mirror / "someorg/fake/resolve/main/tokenizer.json").write_text("{}", encoding="utf-8")
    return _no_data(d, TOKEFF_HF_ENDPOINT=mirror.as_uri())


def _fetch_registry(d: Path, path: str = "@data/tokenizers/fake/tokenizer.json") -> str:
    (d / "reg.yaml").write_text(
        "tokenizers:\n  - {id: fake, family: t, status: exact, backend: tokenizers,\n"
        "     fetch: {repo: someorg/fake, revision: main, files: {tokenizer_json: tokenizer.json}},\n"
        f"     files: {{tokenizer_json: {{path: '{path}', sha256: \"{'0' * 64}\"}}}}}}\n", encoding="utf-8")
    return "reg.yaml"


@dataclass
class Case:
    id: str
    args: Callable[[Path], list[str]]
    words: list[str]
    code: int = 2
    env: Callable[[Path], dict[str, str]] = field(default=lambda d: {})


MEASURE = ["measure", "-t", "o200k_base", "--resamples", "20"]
REPORT = ["report", "-t", "o200k_base", "-m", "gpt-4o-mini"]

CASES = [
    # --- never lose a file -------------------------------------------------------------------
    Case("report-out-is-a-users-folder", lambda d: [*REPORT, "-c", "sample", "--out", _folder(d, "mine", {"a.txt": "keep"})],
         ["not a tokeff report", "--force"]),
    Case("report-out-is-a-file", lambda d: [*REPORT, "-c", "sample", "--out", _tsv(d, "f.txt")], ["is not a folder"]),
    Case("report-out-is-the-current-folder", lambda d: [*REPORT, "-c", "sample", "--out", "."], ["current folder"]),
    Case("report-out-holds-the-corpus", lambda d: [*REPORT, "-c", _native(d), "--out", ".", "--force"], ["holds the input"]),
    Case("report-out-holds-an-input", lambda d: [*REPORT, "-c", f"{_folder(d, 'data')}/{_tsv(d / 'data')}",
                                                 "--out", "data", "--force"], ["holds the input"]),
    Case("out-and-segments-out-are-one-file", lambda d: [*MEASURE, "-c", "sample", "--out", "a.csv",
                                                         "--segments-out", "a.csv"], ["both name a.csv"]),
    Case("out-is-the-corpus", lambda d: [*MEASURE, "-c", _tsv(d), "--out", "t.tsv"], ["is the input"]),
    Case("out-inside-the-corpus-folder", lambda d: [*MEASURE, "-c", _native(d), "--out", "corp/ratios.csv"],
         ["is inside the input"]),
    Case("out-is-a-folder", lambda d: [*MEASURE, "-c", "sample", "--out", _folder(d, "o")], ["a folder; name a file"]),
    Case("out-below-a-file", lambda d: [*MEASURE, "-c", "sample", "--out", f"{_tsv(d, 'f.txt')}/r.csv"],
         ["f.txt"]),
    Case("out-unknown-format", lambda d: [*MEASURE, "-c", "sample", "--out", "x.xlsx"], ["unknown output format"]),
    Case("stream-fails-midway-keeps-old-segments", lambda d: [
        *MEASURE, "--stream", "--chunk", "500", "-c", _long_native(d),
        "--segments-out", _tsv(d, "segs.parquet", "an earlier file\n")], ["ja.txt:2500: invalid UTF-8"]),
    Case("stream-segments-out-not-parquet", lambda d: [*MEASURE, "--stream", "-c", _native(d), "--segments-out", "s.csv"],
         ["as Parquet"]),
    # --- secrets -------------------------------------------------------------------------------
    Case("api-key-with-a-newline", lambda d: ["count", "hi", "-t", "claude-api"], ["ANTHROPIC_API_KEY holds"],
         env=lambda d: {**LOCAL_API, "ANTHROPIC_API_KEY": KEY + "\nX-Evil: 1"}),
    Case("api-key-not-latin-1", lambda d: ["count", "hi", "-t", "claude-api"], ["ANTHROPIC_API_KEY holds"],
         env=lambda d: {**LOCAL_API, "ANTHROPIC_API_KEY": KEY + "ключ"}),
    # --- wrong numbers ------------------------------------------------------------------------------
    Case("table-column-of-numbers", lambda d: [*MEASURE, "-c", _parquet(d, [12])], ["'ja' row 1: a int value", "not text"]),
    Case("table-column-of-lists", lambda d: [*MEASURE, "-c", _parquet(d, [["a", "b"]])], ["not text"]),
    Case("table-bytes-not-utf8", lambda d: [*MEASURE, "-c", _parquet(d, [b"\xff\xfe"])], ["invalid UTF-8"]),
    Case("text-file-named-parquet", lambda d: [*MEASURE, "-c", _tsv(d, "t.parquet")], ["not a readable Parquet file"]),
    Case("rates-as-of-1970", lambda d: ["models"], ["as_of 1970-01-01 is before model"], env=lambda d: _rates(d, "1970-01-01")),
    Case("rates-as-of-2099", lambda d: ["models"], ["as_of 2099-01-01 is in the future"], env=lambda d: _rates(d, "2099-01-01")),
    Case("cost-unknown-tier", lambda d: ["cost", _workload(d, ""), "--tier", "huge"], ["use one of small, mid, frontier"]),
    Case("rates-cache-minimum-for-an-unknown-model", lambda d: ["models"], ["cache_minimums names 'no-such-model'"],
         env=lambda d: _rates(d, "2026-12-03", extra="  - {models: [no-such-model], tokens: 1024, source: x, checked: 2026-12-03}\n")),
    Case("workload-unknown-time-zone", lambda d: ["cost", _workload(d, "traffic: {timezone: Asia/Tokio}"), "-m", "gpt-4o-mini"],
         ["traffic.timezone", "not an IANA zone"]),
    Case("workload-overnight-hours", lambda d: ["cost", _workload(d, "traffic: {timezone: Asia/Tokyo, business_hours: 22:00-06:00}"),
                                                "-m", "gpt-4o-mini"], ["end must be after the start"]),
    Case("workload-unknown-region", lambda d: ["cost", _workload(d, "region: cn-mainlnd"), "-m", "gpt-4o-mini"],
         ["region: 'cn-mainlnd' is not a region the rates file prices"]),
    Case("workload-unknown-residency", lambda d: ["cost", _workload(d, "data_residency: mars"), "-m", "gpt-4o-mini"],
         ["data_residency: no provider in the rates file documents in-region processing in 'mars'"]),
    Case("workload-requests-true", lambda d: ["cost", _workload(d, "", requests="true"), "-m", "gpt-4o-mini"],
         ["requests_per_month", "valid number"]),
    Case("workload-too-large", lambda d: ["cost", _workload(d, "growth: 1.0e+300"), "-m", "gpt-4o-mini"],
         ["growth", "less than or equal"]),
    Case("workload-is-a-folder", lambda d: ["cost", _folder(d, "wl")], ["a folder, not a workload file"]),
    Case("workload-unknown-model", lambda d: ["cost", _workload(d, ""), "-m", "no-such-model"], ["no-such-model"]),
    # --- traffic (errors name file and line, never the text) ------------------------------------
    Case("traffic-bad-json-line", lambda d: ["traffic", _traffic(d, "t.jsonl", TRAFFIC_OK + '{"messages": [\n'),
                                             "-m", "gpt-4o-mini"], ["t.jsonl:2: not valid JSON"]),
    Case("traffic-missing-messages", lambda d: ["traffic", _traffic(d, "t.jsonl", '{"prompt": "x"}\n'), "-m", "gpt-4o-mini"],
         ["t.jsonl:1: no \"messages\" list"]),
    Case("traffic-role-not-text", lambda d: ["traffic", _traffic(d, "t.jsonl", '{"messages": [{"role": 3, "content": "x"}]}\n'),
                                             "-m", "gpt-4o-mini"], ["t.jsonl:1: message 1 role is a int"]),
    Case("traffic-unknown-role", lambda d: ["traffic", _traffic(d, "t.jsonl", '{"messages": [{"role": "boss", "content": "x"}]}\n'),
                                            "-m", "gpt-4o-mini"], ["t.jsonl:1: message 1 has an unknown role"]),
    Case("traffic-content-not-text", lambda d: ["traffic", _traffic(d, "t.jsonl", '{"messages": [{"role": "user", "content": 7}]}\n'),
                                                "-m", "gpt-4o-mini"], ["t.jsonl:1: message 1 content is a int"]),
    Case("traffic-empty-file", lambda d: ["traffic", _traffic(d, "t.jsonl", "\n\n"), "-m", "gpt-4o-mini"],
         ["t.jsonl: no requests"]),
    Case("traffic-invalid-utf8", lambda d: ["traffic", _traffic(d, "t.txt", b"ok\n\xff\n"), "-m", "gpt-4o-mini"],
         ["t.txt:2: invalid UTF-8"]),
    Case("traffic-csv-without-input", lambda d: ["traffic", _traffic(d, "t.csv", "prompt,output\nx,y\n"), "-m", "gpt-4o-mini"],
         ["t.csv: no `input` column"]),
    Case("traffic-csv-invalid-utf8", lambda d: ["traffic", _traffic(d, "t.csv", b"input\nok\n\xfe\n"), "-m", "gpt-4o-mini"],
         ["t.csv:3: invalid UTF-8"]),
    Case("traffic-unknown-model", lambda d: ["traffic", _traffic(d, "t.jsonl", TRAFFIC_OK), "-m", "gpt-4o-minii"],
         ["unknown model 'gpt-4o-minii'"]),
    Case("traffic-unknown-format", lambda d: ["traffic", _traffic(d, "t.xml", "<x/>"), "-m", "gpt-4o-mini"],
         ["t.xml: unknown traffic format"]),
    Case("traffic-bad-reasoning-tokens", lambda d: ["traffic", _traffic(d, "t.jsonl", TRAFFIC_OK.replace(
        "]}", '], "usage": {"reasoning_tokens": -1}}')), "-m", "gpt-4o-mini"], ["t.jsonl:1: usage reasoning_tokens"]),
    Case("traffic-volume-twice", lambda d: ["traffic", _traffic(d, "t.jsonl", TRAFFIC_OK), "-m", "gpt-4o-mini",
                                            "--requests-per-month", "10", "--workload", _workload(d, "")],
         ["--workload or --requests-per-month, not both"]),
    Case("traffic-volume-zero", lambda d: ["traffic", _traffic(d, "t.jsonl", TRAFFIC_OK), "-m", "gpt-4o-mini",
                                           "--requests-per-month", "0"], ["requests per month must be a positive number"]),
    Case("traffic-out-is-the-input", lambda d: ["traffic", _traffic(d, "t.csv", "input\nx\n"), "-m", "gpt-4o-mini",
                                                "--out", "t.csv"], ["is the input"]),
    # --- verify ----------------------------------------------------------------------------------
    Case("verify-a-file", lambda d: ["verify", _tsv(d)], ["not a folder"]),
    Case("verify-a-bad-manifest", lambda d: ["verify", _report_dir(d)], ["manifest.json: unreadable or not JSON"]),
    Case("verify-a-folder-without-manifest", lambda d: ["verify", _folder(d, "empty")], ["manifest.json missing"]),
    # --- clear errors -----------------------------------------------------------------------------
    Case("corrupt-cache", lambda d: [*MEASURE, "-c", "sample"], ["count cache", "tokeff cache clear"],
         env=lambda d: {"TOKEFF_CACHE_DIR": _corrupt_cache(d)}),
    Case("cache-folder-is-a-file", lambda d: [*MEASURE, "-c", "sample"], ["count cache folder"],
         env=lambda d: {"TOKEFF_CACHE_DIR": str(d / _tsv(d, "c.txt"))}),
    Case("seed-below-zero", lambda d: [*MEASURE, "-c", "sample", "--seed", "-1"], ["--seed"]),
    Case("hub-corpus-without-network", lambda d: [*MEASURE, "-c", "hf:no-such/dataset-xyz", "--online"],
         ["could not be loaded", "127.0.0.1:9 cannot be reached"], env=lambda d: {"HF_ENDPOINT": "http://127.0.0.1:9"}),
    Case("hub-corpus-offline", lambda d: [*MEASURE, "-c", "hf:no-such/dataset-xyz"], ["--online"]),
    Case("tokenizer-folder-with-only-config", lambda d: ["count", "hi", "-t", _folder(d, "tok", {"config.json": "{}"})],
         ["no tokenizer file", "config.json"]),
    Case("default-workload-needs-missing-languages", lambda d: [*REPORT, "-c", _tsv(d), "--out", "r"],
         ["needs ko, zh-Hans, zh-Hant", "corpus 't'"]),
    # --- already held (kept so they stay held) -------------------------------------------------------
    Case("empty-text", lambda d: ["count", "", "-t", "o200k_base"], ["empty"]),
    Case("estimate-empty-prompt", lambda d: ["estimate", " ", "-m", "gpt-4o-mini"], ["the prompt is empty"]),
    Case("estimate-language-the-corpus-lacks", lambda d: ["estimate", "Bonjour", "-l", "fr", "-m", "gpt-4o-mini"],
         ["has no fr"]),
    Case("unknown-tokenizer", lambda d: ["count", "hi", "-t", "gpt4o"], ["did you mean"]),
    Case("neither-text-nor-file", lambda d: ["count"], ["give either TEXT or --file"]),
    Case("invalid-utf8-file", lambda d: ["count", "-t", "o200k_base", "--file", _bad_utf8(d)], ["b.txt:2: invalid UTF-8"]),
    Case("unknown-corpus", lambda d: [*MEASURE, "-c", "nope"], ["corpus 'nope' not found"]),
    Case("missing-language", lambda d: [*MEASURE, "-c", "sample", "-l", "fr"], ["has no fr"]),
    Case("country-code-for-a-language", lambda d: [*MEASURE, "-c", "sample", "-l", "jp"], ["did you mean ja?"]),
    Case("country-code-that-is-another-language", lambda d: [*MEASURE, "-c", "sample", "-l", "kr"],
         ["has no kr", "did you mean ko?"]),
    Case("unknown-language-or-group", lambda d: [*MEASURE, "-c", "sample", "-l", "asia"],
         ["'asia'", "or name a group: cjk, sea, south-asia, apac"]),
    Case("group-with-no-member-here", lambda d: [*MEASURE, "-c", "sample", "-l", "sea"], ["no language"]),
    Case("misaligned-table", lambda d: [*MEASURE, "-c", _tsv(d, rows="en\tja\nhello\n")], ["t.tsv:2: 1 fields"]),
    Case("malformed-registry", lambda d: [*MEASURE, "-c", "sample", "--registry", _tsv(d, "reg.yaml", "tokenizers: [\n")],
         ["reg.yaml"]),
    Case("misaligned-corpus-folder", lambda d: [*MEASURE, "-c", _native(d, "一つ目\n".encode())], ["corp"]),
    Case("proxy-check-one-tokenizer-twice", lambda d: ["proxy-check", "-p", "o200k_base", "-a", "gpt-4o", "-c", "sample"],
         ["the same tokenizer"]),
    Case("context-bad-window", lambda d: ["context", "-c", "sample", "-m", "x=o200k_base:big"], ["NAME=TOKENIZER:WINDOW"]),
    Case("fertility-bad-segmenter", lambda d: ["fertility", "-c", "sample", "--segmenter", "ko"], ["LANG=NAME"]),
    Case("tokenizers-add-unknown-recipe", lambda d: ["tokenizers", "add", "nope"], ["no recipe to make 'nope'", "kimi-k2"]),
    # --- tokenizers fetched once (tokeff tokenizers add ID --online) --------------------------------
    Case("fetch-without-online", lambda d: ["tokenizers", "add", "kimi-k2"],
         ["run `tokeff tokenizers add kimi-k2 --online`"], env=_no_data),
    Case("fetch-no-network", lambda d: ["tokenizers", "add", "solar-pro2", "--online"],
         ["cannot be reached", "tokeff tokenizers add solar-pro2 --online"],
         env=lambda d: _no_data(d, TOKEFF_HF_ENDPOINT="http://127.0.0.1:9")),
    Case("fetch-hash-mismatch-stores-nothing", lambda d: ["tokenizers", "add", "fake", "--online", "--registry",
                                                          _fetch_registry(d)],
         ["has sha256", "nothing was stored"], env=_altered_mirror),
    Case("fetch-with-gemma-only-options", lambda d: ["tokenizers", "add", "kimi-k2", "--out", "x"],
         ["--from and --out are for gemma3 only"], env=_no_data),
    Case("count-with-a-tokenizer-not-fetched-yet", lambda d: ["count", "hi", "-t", "kimi-k2"],
         ["not on this machine yet", "tokeff tokenizers add kimi-k2 --online"], env=_no_data),
    Case("registry-fetch-file-outside-data", lambda d: ["tokenizers", "--registry", _fetch_registry(d, "/tmp/x.json")],
         ["reg.yaml", "kept under @data/"]),
]


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = case.args(tmp_path)
    for name, value in case.env(tmp_path).items():
        monkeypatch.setenv(name, value)
    before = _snapshot(tmp_path)
    res = runner.invoke(app, args)
    assert res.exit_code == case.code, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)  # nothing escaped the handler
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    if not any(w.startswith("--seed") for w in case.words):  # typer's own usage box for option ranges
        assert len(errors) == 1, res.output
    for word in case.words:
        assert word in res.output, res.output
    assert KEY not in res.output and "PLANTED" not in res.output
    assert _snapshot(tmp_path) == before  # nothing changed, appeared or went


def test_cache_clear_removes_a_corrupt_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEFF_CACHE_DIR", str(tmp_path))
    (tmp_path / "counts.sqlite").write_text("not a database " * 100, encoding="utf-8")
    res = runner.invoke(app, ["cache", "clear"])
    assert res.exit_code == 0 and "removed 0 cached counts" in res.output
    res = runner.invoke(app, ["measure", "-c", "sample", "-t", "o200k_base", "--resamples", "20"])
    assert res.exit_code == 0 and (tmp_path / "counts.sqlite").stat().st_size > 0


def test_a_secret_never_reaches_a_message_or_a_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A well-formed key in the environment, and an unexpected failure whose message holds it: the
    one line printed and the trace file written both have it redacted."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"request failed with headers {{'x-api-key': '{KEY}'}}")

    monkeypatch.setattr("tokeff.study.counting.count_text", boom)
    res = runner.invoke(app, ["count", "hi", "-t", "o200k_base"])
    assert res.exit_code == 3 and KEY not in res.output
    trace = Path(re.search(r"full trace in (\S+?)\. ", res.output.replace("\n", "")).group(1))  # type: ignore[union-attr]
    text = trace.read_text(encoding="utf-8")
    trace.unlink()
    assert "RuntimeError: request failed" in text and "<redacted>" in text and KEY not in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    res = runner.invoke(app, ["measure", "-c", "sample", "-t", "o200k_base", "--out", str(tmp_path / "ro" / "r.csv")])
    assert res.exit_code == 2 and "Permission denied" in res.output


def test_disk_full_is_one_line_and_keeps_the_old_output(tmp_path: Path) -> None:
    """`ulimit -f`: the write fails with EFBIG; the earlier segments file is left as it was."""
    old = tmp_path / "segs.csv"
    old.write_text("an earlier file\n", encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    run = subprocess.run([sys.executable, "-m", "tokeff.cli", "measure", "-c", "sample", "-t", "o200k_base",
                          "--no-cache", "--resamples", "20", "--segments-out", str(old)],
                         capture_output=True, text=True, preexec_fn=limit, timeout=300,
                         env={**os.environ, "TOKEFF_NO_PLUGINS": "1"})
    assert run.returncode == 2, run.stderr
    assert "File too large" in run.stderr and "Traceback" not in run.stderr
    assert old.read_text(encoding="utf-8") == "an earlier file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["segs.csv"]  # no temporary file left
