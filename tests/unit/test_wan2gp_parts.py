"""Server-free parts of the Wan2GP client: queue files, cache keys, error mapping, progress parsing,
gallery parsing, URL handling, lazy imports (the backoff both backends share: tests/unit/test_retry.py)."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from blender_movie_director.backend.errors import (
    AuthenticationError,
    BackendConnectionError,
    BackendTimeoutError,
    ErrorKind,
    RateLimitError,
    ServerError,
    UnsupportedServerError,
    ValidationError,
)
from blender_movie_director.backend.wan2gp.cache import cache_key
from blender_movie_director.backend.wan2gp.download import file_data_items
from blender_movie_director.backend.wan2gp.progress import (
    Phase,
    fraction_for,
    phase_from_text,
    read_progress_units,
)
from blender_movie_director.backend.wan2gp.schemas import validate_settings
from blender_movie_director.backend.wan2gp.taskfile import write_queue_file
from blender_movie_director.backend.wan2gp.transport import ConnectionSettings, classify, resolve_url

ROOT = Path(__file__).resolve().parents[2]


def test_import_is_light():
    code = (
        "import sys, blender_movie_director.backend.wan2gp as w; "
        "print(sorted(m for m in ('gradio_client', 'httpx', 'huggingface_hub') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_the_client_class_loads_without_pydantic():
    """Connecting needs gradio_client, not the settings schemas: pydantic loads with the first validation."""
    code = (
        "import sys; from blender_movie_director.backend.wan2gp import Wan2GPClient; "
        "print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


# --- queue files ---------------------------------------------------------------------------------


def test_json_queue_file_for_t2v(tmp_path):
    task = validate_settings(model="t2v_1.3B", prompt="a fox", seed=3, video_length=33).to_task()
    path = write_queue_file(task, tmp_path, "md_abc")
    assert path.name == "md_abc.json"
    assert json.loads(path.read_text()) == task


def test_zip_queue_file_with_media(tmp_path):
    start = tmp_path / "Start Frame.PNG"
    start.write_bytes(b"png-bytes")
    guide = tmp_path / "guide.mp4"
    guide.write_bytes(b"mp4-bytes")
    refs = [tmp_path / "r1.jpg", tmp_path / "r2.png"]
    for r in refs:
        r.write_bytes(r.name.encode())
    task = {
        "model_type": "vace_14B",
        "prompt": "x",
        "video_guide": str(guide),
        "image_refs": [str(r) for r in refs],
        "image_start": str(start),
        "video_prompt_type": "PVI",
    }
    path = write_queue_file(task, tmp_path, "md_tok")
    assert path.suffix == ".zip"
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("queue.json"))
        names = set(archive.namelist())
        params = manifest[0]["params"]
        assert manifest[0]["id"] == 1
        assert params["video_guide"] == "task1_video_guide_0_md_tok.mp4"
        assert params["image_start"] == "task1_image_start_0_md_tok.png"
        assert params["image_refs"] == ["task1_image_refs_0_md_tok.jpg", "task1_image_refs_1_md_tok.png"]
        assert names == {"queue.json", params["video_guide"], params["image_start"], *params["image_refs"]}
        assert archive.read(params["video_guide"]) == b"mp4-bytes"
    assert task["video_guide"] == str(guide)  # the caller's dict is not rewritten


# --- cache keys ---------------------------------------------------------------------------------


def test_cache_key_rules(tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    base = {"model_type": "i2v", "prompt": "x", "seed": 5, "image_start": str(image)}
    key = cache_key(base)
    assert key and key == cache_key({**base, "client_id": "md_1", "output_filename": "md_1"})
    assert cache_key({**base, "seed": -1}) is None
    assert cache_key({**base, "seed": 6}) != key
    assert cache_key({**base, "prompt": "y"}) != key
    image.write_bytes(b"two")  # same path, new picture
    assert cache_key(base) != key
    copy = tmp_path / "b.png"
    copy.write_bytes(b"two")  # other path, same picture
    assert cache_key({**base, "image_start": str(copy)}) == cache_key(base)


# --- error mapping ---------------------------------------------------------------------------------


@pytest.fixture
def settings():
    return ConnectionSettings(
        url="http://127.0.0.1:9", auth=("ann", "hunter2-secret"), headers={"X-T": "tok-999"}
    )


def test_classify_gradio_and_httpx_errors(settings):
    import httpx
    from gradio_client import exceptions as gexc
    from gradio_client import utils as gutils

    request = httpx.Request("GET", "http://127.0.0.1:9/config")

    def status(code):
        return httpx.HTTPStatusError("x", request=request, response=httpx.Response(code, request=request))

    cases = [
        (httpx.ConnectError("refused"), BackendConnectionError, True),
        (httpx.ReadTimeout("slow"), BackendTimeoutError, True),
        (gexc.AuthenticationError("login"), AuthenticationError, False),
        (gexc.AppError("CUDA out of memory"), ServerError, False),
        (status(401), AuthenticationError, False),
        (status(429), RateLimitError, True),
        (status(502), ServerError, True),  # as for WaveSpeed: a server error, retried
        (gutils.QueueError("Queue is full!"), RateLimitError, True),
        (concurrent.futures.CancelledError(), BackendConnectionError, True),
        (ValueError("Could not login to http://x."), AuthenticationError, False),
        (TypeError("unexpected keyword"), UnsupportedServerError, False),
    ]
    for exc, kind, retryable in cases:
        err = classify(exc, settings, during="testing")
        assert isinstance(err, kind), (exc, err)
        assert err.retryable is retryable, (exc, err)
    assert "CUDA out of memory" in classify(gexc.AppError("CUDA out of memory"), settings).user_message


def test_secrets_never_in_messages(settings):
    import httpx

    leaky = httpx.ConnectError("proxy said: password hunter2-secret header tok-999")
    err = classify(httpx.RemoteProtocolError("hunter2-secret tok-999"), settings)
    assert "hunter2-secret" not in err.user_message and "tok-999" not in err.user_message
    assert "hunter2-secret" not in classify(leaky, settings).user_message
    assert "hunter2-secret" not in repr(settings) and "tok-999" not in repr(settings)


def test_read_timeout_must_exceed_heartbeat():
    with pytest.raises(ValueError, match="heartbeat"):
        ConnectionSettings(url="http://x", read_timeout=10)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "http://localhost:7860"),
        ("127.0.0.1:7861", "http://127.0.0.1:7861"),
        ("http://gpu-box:7860/", "http://gpu-box:7860"),
        ("https://wan.example.org", "https://wan.example.org"),
    ],
)
def test_resolve_url(given, expected, monkeypatch):
    monkeypatch.delenv("WAN2GP_URL", raising=False)
    assert resolve_url(given) == expected


def test_resolve_url_env_and_bad(monkeypatch):
    monkeypatch.setenv("WAN2GP_URL", "http://from-env:1234")
    assert resolve_url(None) == "http://from-env:1234"
    with pytest.raises(ValidationError):
        resolve_url("http://")


# --- progress ---------------------------------------------------------------------------------


def test_progress_parsing():
    unit = SimpleNamespace(index=7, length=30, unit="steps", progress=None, desc="Denoising | 1.2s / 3.0s")
    assert read_progress_units([unit]) == (7, 30, "Denoising | 1.2s / 3.0s")
    fractional = SimpleNamespace(index=None, length=20, unit=None, progress=0.5, desc=None)
    assert read_progress_units([fractional]) == (10, 20, "")
    assert read_progress_units(None) == (None, None, "")
    assert phase_from_text("Loading model Wan2.1 Text2video 1.3B...", Phase.QUEUED) == Phase.LOADING
    assert phase_from_text("Prompt 1/2 - Denoising | 1.2s", Phase.LOADING) == Phase.GENERATING
    assert phase_from_text("VAE Decoding | 3.0s", Phase.GENERATING) == Phase.DECODING
    assert (
        phase_from_text("Processing Request to abort Current Generation", Phase.GENERATING) == Phase.ABORTING
    )
    assert fraction_for(Phase.GENERATING, 0, 30) == pytest.approx(0.05)
    assert fraction_for(Phase.GENERATING, 30, 30) == pytest.approx(0.90)
    assert fraction_for(Phase.DONE) == 1.0


def test_gallery_items_both_shapes():
    gradio5 = {
        "value": [
            {
                "video": {
                    "path": "/srv/out/old.mp4",
                    "url": "http://h/gradio_api/file=/srv/out/old.mp4",
                    "size": 10,
                    "orig_name": "old.mp4",
                    "meta": {"_type": "gradio.FileData"},
                },
                "caption": "old",
            },
            {
                "video": {
                    "path": "C:\\WanGP\\outputs\\md_x.mp4",
                    "size": 20,
                    "meta": {"_type": "gradio.FileData"},
                },
                "caption": None,
            },
        ],
        "selected_index": 1,
    }
    items = file_data_items([0, gradio5, "[]", -1])
    assert [i.name for i in items] == ["old.mp4", "md_x.mp4"]
    assert items[1].folder == "C:\\WanGP\\outputs" and items[1].size == 20
    assert file_data_items({"value": []}) == []
    assert file_data_items([{"image": {"path": "/a.jpg", "url": "u"}, "caption": "c"}])[0].name == "a.jpg"


def test_error_kinds_are_stable():
    assert BackendConnectionError("x").kind == ErrorKind.CONNECTION
    assert UnsupportedServerError("x").kind == ErrorKind.UNSUPPORTED_SERVER
