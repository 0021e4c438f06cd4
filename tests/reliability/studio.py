"""A small film set inside the real Blender module: shots, the operator that generates them, the drain that
brings results back, and the checks every reliability test repeats after a fault (the Sequencer is
consistent, every clip decodes, the process is alive, no thread is left behind)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.fixtures.blender import add_shot, drain_until

ADDON = "blender_movie_director"
TERMINAL = ("DONE", "FAILED", "CANCELLED", "INTERRUPTED")


def decode_frames(path: str | Path) -> int:
    """Frames of a clip, by decoding every one with PyAV (a real decoder, not a header read)."""
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


class Studio:
    """One scene at 24 fps, 160x96, with its output folder in the test's temp folder."""

    def __init__(self, bpy: ModuleType, out: Path) -> None:
        self.bpy = bpy
        self.out = out
        self.prefs = bpy.context.preferences.addons[ADDON].preferences
        self.prefs.output_folder = str(out)
        self.prefs.request_timeout = 5.0
        scene = bpy.context.scene
        scene.render.fps, scene.render.fps_base = 24, 1.0
        scene.render.resolution_x, scene.render.resolution_y = 160, 96
        scene.render.resolution_percentage = 100
        scene.frame_start, scene.frame_end = 1, 240
        self._next_frame = 1

    @property
    def scene(self) -> Any:
        """The current scene (looked up each time: loading a file replaces it)."""
        return self.bpy.context.scene

    # -- set-up -----------------------------------------------------------------------------------------
    def use_wavespeed(self, server: Any, key: str | None = None) -> None:
        self.prefs.wavespeed_api_key = key if key is not None else server.api_key
        self.prefs.wavespeed_base_url = server.url

    def use_wan2gp(self, url: str) -> None:
        self.prefs.wan2gp_url = url

    def shot(self, name: str, backend: str = "WAVESPEED", prompt: str = "", frames: int = 24) -> Any:
        """A camera shot of ``frames`` frames placed after the previous one on the timeline."""
        cam = add_shot(self.bpy, self.scene, name, self._next_frame, prompt=prompt or f"{name}: a quiet sea")
        cam.movie_director.backend = backend
        self._next_frame += frames
        return cam

    def activate(self, cam: Any) -> None:
        self.scene.movie_director.active_shot_index = list(self.scene.objects).index(cam)

    # -- the job path -------------------------------------------------------------------------------------
    def generate(self, cam: Any, quality: str = "PREVIEW") -> set[str]:
        """Press Generate for ``cam`` (the operator, as the N-panel button does)."""
        self.activate(cam)
        return self.bpy.ops.moviedir.generate_shot(shot=cam.name, quality=quality)

    def settle(self, cam: Any, timeout: float = 90.0) -> str:
        """Drain (timers never fire in the module) until the shot's job has ended; returns its status."""
        settings = cam.movie_director
        drain_until(lambda: settings.status in TERMINAL, timeout=timeout)
        return settings.status

    def settle_all(self, cams: list[Any], timeout: float = 180.0) -> None:
        drain_until(lambda: all(c.movie_director.status in TERMINAL for c in cams), timeout=timeout)

    # -- what the user sees ---------------------------------------------------------------------------
    def movie_strips(self) -> list[Any]:
        from blender_movie_director.blender import compat

        editor = compat.sequence_editor(self.scene, create=False)
        if editor is None:
            return []
        return [s for s in compat.all_strips(editor) if s.type == "MOVIE"]

    def assert_consistent(self, *, decode: bool = True) -> dict[str, Any]:
        """The Sequencer matches the shots: one movie strip per DONE shot, on its file, nothing else.

        Returns ``{strip name: strip}``. Also proves the Blender process is alive and answering.
        """
        from blender_movie_director.blender import vse

        assert self.bpy.context.scene is not None  # the module answers: Blender did not go down
        strips = {s.name: s for s in self.movie_strips()}
        files = [bpy_path(self.bpy, s.filepath) for s in strips.values()]
        assert len(files) == len(set(files)), f"two strips share a clip: {files}"
        owners: dict[str, str] = {}
        for cam in [o for o in self.scene.objects if o.type == "CAMERA"]:
            settings = cam.movie_director
            if settings.strip_name:
                assert settings.strip_name in strips, f"{cam.name}'s strip {settings.strip_name} is missing"
                strip = strips[settings.strip_name]
                owners[strip.name] = cam.name
                take = settings.takes[settings.active_take_index]
                assert bpy_path(self.bpy, strip.filepath) == str(Path(take.filepath)), (strip.filepath, take)
                meta = vse.provenance_of(strip)
                assert meta["shot"] == cam.name and meta["job_id"], meta
            if settings.status == "DONE":
                assert settings.strip_name and settings.takes, f"{cam.name} is DONE without a clip"
        assert set(owners) == set(strips), f"strips no shot owns: {set(strips) - set(owners)}"
        for name, strip in strips.items():
            path = bpy_path(self.bpy, strip.filepath)
            assert Path(path).is_file(), f"{name}: {path} is gone"
            if decode:
                assert decode_frames(path) > 0, f"{name}: {path} does not decode"
        return strips

    def leftovers(self) -> list[Path]:
        """Half-written downloads (``*.part``) left in the output folder."""
        return sorted(self.out.rglob("*.part")) if self.out.exists() else []


def bpy_path(bpy: ModuleType, path: str) -> str:
    return str(Path(os.path.normpath(bpy.path.abspath(path))))


#: Threads of libraries (gradio_client's heartbeat) that must still end, with the test that started them:
#: checked at the end of the session (conftest), so their wait overlaps the next tests instead of adding up.
LINGERING: list[tuple[str, threading.Thread]] = []
#: Threads the product starts itself: these must be gone as soon as the engine is shut down.
OWN_THREADS = ("movie-director", "wan2gp-")


class ThreadWatch:
    """Threads that a test started must all end once the engine is shut down."""

    def __init__(self, test: str = "") -> None:
        self.test = test
        self.before = {t.ident for t in threading.enumerate()}

    def new_threads(self) -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t.ident not in self.before and t.is_alive() and not t.name.startswith("test-")
        ]

    def assert_none_left(self, grace: float = 15.0) -> None:
        """Shut the engine down: the product's own threads must end at once (within ``grace``); other new
        threads (gradio_client's heartbeat only notices a closed client at the server's next heartbeat,
        up to 15 s later) must end by the end of the session (see conftest)."""
        from blender_movie_director.session import connection, engine

        assert engine.shutdown(timeout=15.0), "a job thread did not stop"
        assert connection.join(15.0)
        end = time.monotonic() + grace
        for thread in self.new_threads():
            if thread.name.startswith(OWN_THREADS):
                thread.join(max(0.0, end - time.monotonic()))
        own = [t.name for t in self.new_threads() if t.name.startswith(OWN_THREADS)]
        assert own == [], f"threads left behind: {own}"
        LINGERING.extend((self.test, t) for t in self.new_threads())


def assert_lingering_threads_end(grace: float = 40.0) -> None:
    end = time.monotonic() + grace
    for _test, thread in LINGERING:
        thread.join(max(0.0, end - time.monotonic()))
    alive = [f"{t.name} (from {test})" for test, t in LINGERING if t.is_alive()]
    LINGERING.clear()
    assert alive == [], f"threads left behind: {alive}"
