"""Settings read from the environment, checked at start-up."""

from __future__ import annotations

import pytest

from infra.settings import load_settings


def test_the_public_url_is_read_from_the_environment_and_checked(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STARLEDGER_PUBLIC_URL", "https://starledger.example.gov.cn/")
    settings = load_settings(data_dir=tmp_path, secret_key="x")
    assert settings.public_url == "https://starledger.example.gov.cn" and settings.https and settings.cookies_secure
    monkeypatch.delenv("STARLEDGER_PUBLIC_URL")
    plain = load_settings(data_dir=tmp_path, secret_key="x", host="127.0.0.1", port=8000)
    assert plain.public_url == "http://127.0.0.1:8000" and not plain.cookies_secure
    monkeypatch.setenv("STARLEDGER_PUBLIC_URL", "starledger.example.gov.cn")
    with pytest.raises(SystemExit, match="STARLEDGER_PUBLIC_URL"):
        load_settings(data_dir=tmp_path, secret_key="x")
    monkeypatch.setenv("STARLEDGER_PUBLIC_URL", "")
    monkeypatch.setenv("STARLEDGER_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/24")
    assert [str(n) for n in load_settings(data_dir=tmp_path, secret_key="x").trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/24"]
    monkeypatch.setenv("STARLEDGER_TRUSTED_PROXIES", "proxy.local")
    with pytest.raises(SystemExit, match="STARLEDGER_TRUSTED_PROXIES"):
        load_settings(data_dir=tmp_path, secret_key="x")
