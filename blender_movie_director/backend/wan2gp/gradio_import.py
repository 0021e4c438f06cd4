"""The one place ``gradio_client`` is first imported, with stand-ins for two libraries the zip leaves out.

gradio_client imports ``huggingface_hub`` and ``fsspec.asyn`` at module level, but uses them only for Hugging
Face Spaces (looking a Space up, duplicating it, waking it) and for a helper (``synchronize_async``) it never
calls. The product always passes a server's ``http(s)://`` address, so none of that runs. ``huggingface_hub``
alone pulls in 6.5 MB of wheels (hf_xet, a second HTTP stack httpx2/httpcore2, truststore, fsspec, filelock,
tqdm, pyyaml, click), which the extension zip does not bundle (scripts/build_extension.py, ``NOT_BUNDLED``).

When those libraries are not installed (inside the extension), :func:`load` puts two small modules under
their names in ``sys.modules`` for the length of the ``gradio_client`` import and removes them afterwards, so
no other add-on ever finds them there. They carry exactly what gradio_client touches on the product's path:

* ``huggingface_hub.SpaceStage`` / ``SpaceHardware``: the real enums' values (gradio_client builds a list of
  bad Space states at import and compares a Space's state, which is ``None`` for an address);
* ``huggingface_hub.utils.build_hf_headers``: the ``user-agent`` header gradio_client sends. It never reads a
  saved Hugging Face token: the product already turns implicit tokens off (:func:`quiet_telemetry`),
  so the headers are the same, less the ``hf_hub/<version>`` part of the user agent. A token passed in is
  refused, not dropped;
* ``send_telemetry``: does nothing, as the real one does with ``HF_HUB_DISABLE_TELEMETRY=1`` (which the
  product sets);
* ``RepositoryNotFoundError``: the exception class gradio_client catches around Space calls.

Any other name (every Space call) raises ``AttributeError`` saying Spaces are not supported; ``fsspec.asyn``'s
two functions raise ``NotImplementedError``. Where the real libraries are installed (``pip install`` of the
project, the test environments), they are used and nothing here is made.

Threading: :func:`load` may run on any thread; a lock makes the first import happen once.
"""

from __future__ import annotations

import enum
import importlib.util
import os
import platform
import sys
import threading
import types
from typing import Any

#: The names gradio_client imports that the extension zip leaves out.
SHIMMED = ("huggingface_hub", "fsspec")
_lock = threading.Lock()
#: gradio_client once its import has finished. ``sys.modules`` is no sign of that: a module is put there when
#: its import *starts*, so another thread would get a half-imported gradio_client from it.
_loaded: types.ModuleType | None = None


def quiet_telemetry() -> None:
    """Keep gradio_client (and huggingface_hub, where installed) from phoning home or reading a saved Hugging
    Face token (must run before they are imported): ``analytics_enabled=False`` alone does not do it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")


class SpaceStage(enum.StrEnum):
    """huggingface_hub's Space states (values as in huggingface_hub 2.4)."""

    NO_APP_FILE = "NO_APP_FILE"
    CONFIG_ERROR = "CONFIG_ERROR"
    BUILDING = "BUILDING"
    BUILD_ERROR = "BUILD_ERROR"
    RUNNING = "RUNNING"
    RUNNING_BUILDING = "RUNNING_BUILDING"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    DELETING = "DELETING"
    STOPPED = "STOPPED"
    PAUSED = "PAUSED"
    APP_STARTING = "APP_STARTING"
    RUNNING_APP_STARTING = "RUNNING_APP_STARTING"


class SpaceHardware(enum.StrEnum):
    """The one Space hardware gradio_client names outside Space duplication (a default argument)."""

    CPU_BASIC = "cpu-basic"


class RepositoryNotFoundError(Exception):
    """What huggingface_hub raises for a missing Space (gradio_client catches it around Space calls)."""


def build_hf_headers(
    *,
    token: Any = None,
    library_name: str | None = None,
    library_version: str | None = None,
    user_agent: Any = None,
    headers: dict[str, str] | None = None,
    is_write_action: bool = False,
) -> dict[str, str]:
    """The headers gradio_client sends to the server: a user agent, never a Hugging Face token."""
    if token not in (None, False):
        raise ValueError("Hugging Face tokens and Spaces are not supported by Movie Director's bundle.")
    agent = f"{library_name}/{library_version}; " if library_name else ""
    built = {"user-agent": f"{agent}python/{platform.python_version()}"}
    built.update(headers or {})
    return built


def send_telemetry(*args: Any, **kwargs: Any) -> None:
    """Telemetry is off in this product (the real function returns at once under HF_HUB_DISABLE_TELEMETRY)."""


def _spaces_unsupported(module: str) -> Any:
    def __getattr__(name: str) -> Any:  # noqa: N807 - a module __getattr__ (PEP 562)
        raise AttributeError(
            f"{module}.{name} is not bundled with Movie Director: Hugging Face Spaces are not supported "
            "(use the server's http:// address)."
        )

    return __getattr__


def _not_bundled(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("fsspec is not bundled with Movie Director.")


def _shim_modules() -> dict[str, types.ModuleType]:
    hub = types.ModuleType("huggingface_hub", "Movie Director's stand-in (backend/wan2gp/gradio_import.py).")
    utils = types.ModuleType("huggingface_hub.utils", hub.__doc__)
    for name, value in {
        "build_hf_headers": build_hf_headers,
        "send_telemetry": send_telemetry,
        "RepositoryNotFoundError": RepositoryNotFoundError,
        "__getattr__": _spaces_unsupported("huggingface_hub.utils"),
    }.items():
        setattr(utils, name, value)
    hub.SpaceStage, hub.SpaceHardware, hub.utils = SpaceStage, SpaceHardware, utils  # type: ignore[attr-defined]
    hub.__getattr__ = _spaces_unsupported("huggingface_hub")  # type: ignore[method-assign]
    fsspec = types.ModuleType("fsspec", hub.__doc__)
    asyn = types.ModuleType("fsspec.asyn", hub.__doc__)
    asyn.sync = asyn.get_loop = _not_bundled  # type: ignore[attr-defined]
    fsspec.asyn = asyn  # type: ignore[attr-defined]
    return {"huggingface_hub": hub, "huggingface_hub.utils": utils, "fsspec": fsspec, "fsspec.asyn": asyn}


def missing() -> tuple[str, ...]:
    """Which of :data:`SHIMMED` are not installed here (all of them inside the extension)."""
    return tuple(name for name in SHIMMED if importlib.util.find_spec(name) is None)


def load() -> types.ModuleType:
    """``gradio_client``, imported once with telemetry off and the stand-ins in place where needed."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        quiet_telemetry()
        absent = missing()
        placed = {k: m for k, m in _shim_modules().items() if k.partition(".")[0] in absent}
        for name, module in placed.items():
            sys.modules.setdefault(name, module)
        try:
            import gradio_client
            import gradio_client.client
            import gradio_client.exceptions
            import gradio_client.utils
        finally:
            for name, module in placed.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
        _loaded = gradio_client
        return gradio_client
