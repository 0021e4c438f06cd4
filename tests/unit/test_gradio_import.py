"""The stand-ins for huggingface_hub and fsspec (backend/wan2gp/gradio_import.py) give gradio_client what the
real libraries give it on the product's path, and nothing more.

This venv has the real libraries (pip installs gradio_client's requirements), so they are the oracle here;
the extension zip, where the stand-ins are used, is tested in tests/blender/test_extension_zip.py.
"""

from __future__ import annotations

import os
import sys

import huggingface_hub
import pytest
from huggingface_hub.utils import build_hf_headers

from blender_movie_director.backend.wan2gp import gradio_import


def test_space_enums_match_the_real_ones() -> None:
    assert {s.name: s.value for s in gradio_import.SpaceStage} == {
        s.name: s.value for s in huggingface_hub.SpaceStage
    }
    assert gradio_import.SpaceHardware.CPU_BASIC == huggingface_hub.SpaceHardware.CPU_BASIC


def test_headers_are_the_real_ones_without_the_hub_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")  # as quiet_telemetry() sets it
    kwargs = {"token": None, "library_name": "gradio_client", "library_version": "2.7.2"}
    real = build_hf_headers(**kwargs)
    ours = gradio_import.build_hf_headers(**kwargs)
    assert ours.keys() == real.keys() == {"user-agent"}
    hub_part = f"; hf_hub/{huggingface_hub.__version__}"
    assert ours["user-agent"] == real["user-agent"].replace(hub_part, "")
    with pytest.raises(ValueError, match="tokens"):
        gradio_import.build_hf_headers(token="hf_secret", library_name="gradio_client")


def test_shim_modules_refuse_everything_else() -> None:
    modules = gradio_import._shim_modules()
    assert set(modules) == {"huggingface_hub", "huggingface_hub.utils", "fsspec", "fsspec.asyn"}
    hub = modules["huggingface_hub"]
    assert hub.utils is modules["huggingface_hub.utils"]
    with pytest.raises(AttributeError, match="Spaces are not supported"):
        hub.get_space_runtime  # noqa: B018 - the attribute access is the test
    with pytest.raises(AttributeError, match="Spaces are not supported"):
        hub.utils.hf_raise_for_status  # noqa: B018
    with pytest.raises(NotImplementedError):
        modules["fsspec"].asyn.sync(None, print)
    assert hub.utils.send_telemetry(topic="x") is None


def test_load_uses_the_real_libraries_where_installed() -> None:
    assert gradio_import.missing() == ()
    gradio_client = gradio_import.load()
    assert gradio_client.client.huggingface_hub is huggingface_hub
    assert gradio_import.load() is gradio_client is sys.modules["gradio_client"]
    assert os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] == "1"


def test_threads_that_load_at_once_all_get_the_whole_module() -> None:
    """The first import takes a while; a thread that asks meanwhile waits for it instead of getting the
    half-imported module that ``sys.modules`` already holds (a pool's two jobs start their clients
    at once)."""
    import subprocess

    script = """
import sys, threading
from blender_movie_director.backend.wan2gp import gradio_import
got = []
def ask():
    module = gradio_import.load()
    got.append(hasattr(module, "Client") and hasattr(module.client, "Job"))
threads = [threading.Thread(target=ask) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(got)
sys.exit(0 if got == [True] * 8 else 1)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
