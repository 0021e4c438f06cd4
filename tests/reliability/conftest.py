"""The reliability suite (``pytest -m reliability``): faults, load, restart, secrets, bad input, offline.

Every test here carries the ``reliability`` marker (added below); tests that run inside Blender also carry
``blender`` in their module, so CI runs them on 4.2 and 4.5 too. Servers: the session-scoped stand-ins from
tests/fixtures (WaveSpeed reset around each test through its admin API), and Wan2GP servers of their own
only where a start knob is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.reliability.studio import Studio, ThreadWatch, assert_lingering_threads_end

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session", autouse=True)
def lingering_threads() -> Iterator[None]:
    """Library threads the tests handed over (see ``ThreadWatch``) must all have ended by the end."""
    yield
    assert_lingering_threads_end()


@pytest.fixture
def threads(request: pytest.FixtureRequest) -> ThreadWatch:
    """Taken before the Blender fixtures start anything; the test calls ``assert_none_left()``."""
    return ThreadWatch(request.node.nodeid)


@pytest.fixture
def studio(threads: ThreadWatch, blender: ModuleType, tmp_path: Path) -> Iterator[Studio]:
    from blender_movie_director.session import engine

    set_ = Studio(blender, tmp_path / "out")
    try:
        yield set_
    finally:
        engine.shutdown()


@pytest.fixture
def ws(wavespeed_standin_clean: Any) -> Any:
    """The session WaveSpeed stand-in, reset before and after the test."""
    return wavespeed_standin_clean
