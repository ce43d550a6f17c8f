"""Shared fixtures: an isolated count cache per test, no network at all (loopback only), and
the FLORES-200 / NTREX-128 archives from ../shared unpacked once (tests using them skip when
../shared is absent, as on a user's fresh clone)."""

from __future__ import annotations

import socket
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"

# Sentences written for these tests (not from any corpus): same content in five languages.
PARALLEL = {
    "en": "The meeting has been moved to Thursday at 3 p.m.",
    "ja": "会議は木曜日の午後3時に変更になりました。",
    "ko": "회의가 목요일 오후 3시로 변경되었습니다.",
    "zh-Hans": "会议改到星期四下午3点。",
    "zh-Hant": "會議改到星期四下午3點。",
}
CJK_SAMPLES = [
    "東京駅から新大阪駅まで、のぞみで約2時間30分です。",
    "주문하신 상품은 내일 오전 중에 배송될 예정입니다.",
    "请在2026年12月31日之前提交报销单据。",
    "請於下週一上午十點前回覆這封電子郵件，謝謝。",
    "ﾃｽﾄ全角ＡＢＣ　半角abc ｢括弧｣ 🍣🍜 <|endoftext|> \t改行\nあり",
]


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEFF_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("TOKEFF_ONLINE", raising=False)
    monkeypatch.delenv("TOKEFF_REGISTRY", raising=False)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test: offline must mean offline."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if (isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))) or not isinstance(
            address, tuple
        ):
            return real_connect(self, address)  # type: ignore[arg-type]
        raise AssertionError(f"test tried to reach the network: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _unpack(archive: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = SHARED / archive
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared not beside the checkout)")
    dest = tmp_path_factory.mktemp(archive.split(".")[0])
    with tarfile.open(path) as tar:
        tar.extractall(dest, filter="data")
    return dest


@pytest.fixture(scope="session")
def flores_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _unpack("flores200-cjk.tar.xz", tmp_path_factory) / "flores200"


@pytest.fixture(scope="session")
def flores_apac_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _unpack("flores200-apac.tar.xz", tmp_path_factory) / "flores200"


@pytest.fixture(scope="session")
def ntrex_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _unpack("ntrex128-cjk.tar.xz", tmp_path_factory) / "ntrex128"
