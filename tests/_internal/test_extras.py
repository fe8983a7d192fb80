"""A feature whose extra is not installed names the extra to install."""

from __future__ import annotations

import importlib
import sys

import pytest

from spangle.broadcast.backends import backend_for_url


def _uninstall(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    # A None entry makes `import name` fail as if the package were absent.
    for name in list(sys.modules):
        if name.split(".")[0] in modules:
            monkeypatch.delitem(sys.modules, name)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def _forget(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.delitem(sys.modules, module, raising=False)


def test_the_test_client_without_httpx_names_the_testing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstall(monkeypatch, "httpx")
    _forget(monkeypatch, "spangle.testing")
    _forget(monkeypatch, "spangle.testing.http")
    with pytest.raises(ImportError, match=r"httpx.*pip install 'spangle\[testing\]'"):
        importlib.import_module("spangle.testing")


def test_templates_without_jinja2_name_the_jinja_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstall(monkeypatch, "jinja2")
    _forget(monkeypatch, "spangle._internal.templates")
    with pytest.raises(ImportError, match=r"jinja2.*pip install 'spangle\[jinja\]'"):
        importlib.import_module("spangle._internal.templates")


def test_a_redis_url_without_redis_py_names_the_redis_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstall(monkeypatch, "redis")
    _forget(monkeypatch, "spangle.broadcast.backends.redis")
    with pytest.raises(ImportError, match=r"redis.*pip install 'spangle\[redis\]'"):
        backend_for_url("redis://127.0.0.1:6379/0")


def test_the_error_carries_the_missing_module_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _uninstall(monkeypatch, "redis")
    _forget(monkeypatch, "spangle.broadcast.backends.redis")
    with pytest.raises(ImportError) as caught:
        backend_for_url("redis://127.0.0.1:6379/0")
    assert caught.value.name == "redis"
