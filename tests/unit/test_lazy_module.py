"""backend/lazy.py ``lazy_module``: a module whose code runs on first attribute access (plain Python)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from blender_movie_director.backend.lazy import lazy_module, loaded

PACKAGE = "md_lazy_probe"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("RUNS = []\n", encoding="utf-8")
    (root / "work.py").write_text(
        "from md_lazy_probe import RUNS\nRUNS.append('work')\n\ndef answer():\n    return 42\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_code_runs_on_first_attribute_access_only(package: Path) -> None:
    import md_lazy_probe

    work = lazy_module(".work", PACKAGE)
    assert md_lazy_probe.RUNS == []  # bound, not run
    assert sys.modules[f"{PACKAGE}.work"] is work
    assert md_lazy_probe.work is work  # `from . import work` elsewhere finds the same object
    assert loaded(f"{PACKAGE}.work") is None and md_lazy_probe.RUNS == []  # asking does not run it
    assert work.answer() == 42
    assert md_lazy_probe.RUNS == ["work"]
    assert loaded(f"{PACKAGE}.work") is work
    assert work.answer() == 42 and md_lazy_probe.RUNS == ["work"]  # once


def test_an_imported_module_is_returned_as_it_is(package: Path) -> None:
    import md_lazy_probe.work as loaded

    assert lazy_module(f"{PACKAGE}.work") is loaded


def test_a_missing_module_fails_when_bound_not_later(package: Path) -> None:
    with pytest.raises(ModuleNotFoundError):
        lazy_module(".nowhere", PACKAGE)
