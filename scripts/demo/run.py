"""The demo, start to end. ``main()`` returns the process exit code (0: every file was written)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from standins import launch_wan2gp

from demo import options as demo_options
from demo.console import Console, format_seconds
from demo.plan import FilmPlan, plan_for

#: Files and folders a previous demo run leaves in its output folder (replaced by a new run).
#: Seconds per denoising step and per model load: slow enough to watch the progress bar move.
STANDIN_KNOBS = {"step_seconds": 0.1, "load_seconds": 0.5}
OWN_FILES = ("demo.blend", "demo.blend1", "demo.mp4", "storyboard.png")
OWN_FOLDERS = ("movie_director", "stills", "logs")


def _redirect_native_output(log_path: Path) -> TextIO:
    """Blender's own messages (render lines, "Saved: ...") go to ``log_path``; returns a stream on the
    original standard output for the demo's own lines."""
    sys.stdout.flush()
    sys.stderr.flush()
    console = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    return console


def _prepare_output(folder: Path) -> None:
    """Create ``folder``; clear what an earlier demo run wrote there, refuse a folder holding other files."""
    folder.mkdir(parents=True, exist_ok=True)
    others = [p.name for p in folder.iterdir() if p.name not in OWN_FILES + OWN_FOLDERS]
    if others:
        raise SystemExit(
            f"{folder} already holds other files ({', '.join(sorted(others)[:5])}); "
            "choose an empty or new folder with --output."
        )
    for name in OWN_FILES:
        (folder / name).unlink(missing_ok=True)
    for name in OWN_FOLDERS:
        shutil.rmtree(folder / name, ignore_errors=True)


def _isolate_blender_user_folders(root: Path) -> None:
    """The demo never reads or changes your own Blender preferences: Blender's user folders point at a
    throw-away folder (set before ``bpy`` is imported)."""
    for kind in ("CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES"):
        os.environ[f"BLENDER_USER_{kind}"] = str(root / kind.lower())
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _source_text(opts: demo_options.Options) -> str:
    if opts.wavespeed:
        base = os.environ.get("WAVESPEED_BASE_URL", "").strip() or "https://api.wavespeed.ai"
        return f"WaveSpeed ({base}; billed to your key)"
    if opts.wan2gp_url:
        return f"your Wan2GP server at {opts.wan2gp_url}"
    return "the local Wan2GP stand-in (synthetic pictures; no GPU, no account)"


def _how_to_go_real(console: Console) -> None:
    console.line("  For real clips:")
    console.line("    scripts/demo.sh --wan2gp-url http://<your-gpu-machine>:7860   (a running Wan2GP)")
    console.line("    WAVESPEED_API_KEY=<your key> scripts/demo.sh --wavespeed      (WaveSpeed, billed)")


def _wavespeed_estimate(cameras: list[Any]) -> str:
    """What WaveSpeed will charge for the shots, from the documented prices (no request is made): the same
    price the budget check uses (backend/jobs/cost.py)."""
    from blender_movie_director.backend.jobs.cost import request_price
    from blender_movie_director.requests import shot as shot_requests

    total, unknown = 0.0, 0
    for cam in cameras:
        request, _credentials = shot_requests.build_request(cam, "PREVIEW")
        price = request_price(request)
        if price.usd is None:
            unknown += 1
        else:
            total += price.usd
    text = f"about ${total:.2f}"
    return text + (f" plus {unknown} shot(s) without a documented price" if unknown else "")


def _summary(console: Console, opts: demo_options.Options, plan: FilmPlan, report: dict[str, Any]) -> None:
    out = opts.output
    console.line()
    console.line(f"Done in {format_seconds(console.elapsed())}.")
    console.line(
        f"  Film:     {plan.title}: {report['shots']} shots, {report['takes']} takes, "
        f"{report['seconds']:.1f} s of edit ({report['frames']} frames at {plan.fps} fps, "
        f"{plan.width}x{plan.height})"
    )
    for name, kind, seconds in report["shot_lines"]:
        console.line(f"            {name}: {seconds:.2f} s, {kind}")
    console.line(f"  Clips:    from {_source_text(opts)}")
    console.line("  Files:")
    rows = [
        (out / "demo.blend", "the film: open it in Blender 4.2+ with Movie Director installed"),
        (out / "storyboard.png", "the storyboard, one cell per shot"),
        (out / "demo.mp4", "the edit, rendered by Blender's Sequencer"),
        (out / "movie_director", "the generated clips, one folder per shot, and the job records"),
        (out / "logs", "Blender's messages" + (" and the stand-in's" if opts.uses_standin else "")),
    ]
    names = [_shown(path) + ("/" if path.is_dir() else "") for path, _what in rows]
    width = max(len(name) for name in names)
    for name, (_path, what) in zip(names, rows, strict=True):
        console.line(f"    {name.ljust(width)}  {what}")
    if opts.uses_standin:
        console.line()
        console.line("  The clips come from the local stand-in: moving test pictures showing each prompt.")
        _how_to_go_real(console)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(opts: demo_options.Options, console: Console, work: Path) -> None:
    # bpy is imported only now, after the user folders point at ``work``.
    import bpy

    from demo import film, generate, outputs

    plan = plan_for(opts.quick)
    out = opts.output
    standin = None
    try:
        if opts.uses_standin:
            console.step("Starting the Wan2GP stand-in (a local server that behaves like Wan2GP)")
            standin = launch_wan2gp.start_standin(
                out / "logs" / "wan2gp-standin", deadline=120, **STANDIN_KNOBS
            )
            console.note(f"{standin.url} (PID {standin.pid})")
        elif opts.wavespeed:
            console.step("Using WaveSpeed with the key in WAVESPEED_API_KEY")
        else:
            console.step(f"Using your Wan2GP server at {opts.wan2gp_url}")

        console.step(f"Building '{plan.title}' in Blender {bpy.app.version_string} ({len(plan.shots)} shots)")
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.context.preferences.filepaths.save_version = 0  # no demo.blend1 backups
        prefs = generate.enable_extension()
        prefs.wan2gp_url = standin.url if standin else opts.wan2gp_url
        prefs.job_deadline_minutes = opts.timeout_minutes
        console.note("Test Connection: " + generate.test_connection(prefs, opts.backend))
        scene, cameras = film.build(plan)
        blend = out / "demo.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(blend))  # "//" paths (clips, stills) are beside it
        for cam, shot in zip(cameras, plan.shots, strict=True):
            cam.movie_director.backend = opts.backend
            start = scene.timeline_markers[cam.name].frame
            console.note(f"{cam.name}: frames {start}-{start + shot.frames - 1}, {shot.kind}")

        stills = [(cam, shot) for cam, shot in zip(cameras, plan.shots, strict=True) if shot.from_still]
        if stills:
            console.step("Rendering the start picture of the image-to-video shot (Cycles, CPU)")
            for cam, _shot in stills:
                start = scene.timeline_markers[cam.name].frame
                path = film.render_still(scene, cam, out / "stills" / f"{cam.name}.png", start)
                cam.movie_director.image_input = "//" + path.relative_to(out).as_posix()
                film.use_image_model(cam)
                console.note(f"{cam.name}: {_shown(path)}")

        console.step("Rendering the cast's reference pictures from their own models (Workbench)")
        keeper = [scene.objects[name] for name in film.KEEPER_PARTS]
        appearances = film.build_cast(scene, keeper, 256 if opts.quick else 512)
        for member, shots_in in appearances.items():
            console.note(f"{member}: in {', '.join(shots_in) if shots_in else 'no shot'}")

        console.step(f"Generating {len(cameras)} shots with Preview All, as the N-panel button does")
        console.note(f"Clips from {_source_text(opts)}")
        if opts.wavespeed:
            console.note(f"WaveSpeed charges {_wavespeed_estimate(cameras)} for these previews (its prices).")
        outcomes = generate.generate_all(scene, console, opts.timeout_minutes * 60.0)
        failed = [o for o in outcomes if o.status != "DONE"]
        if failed:
            lines = "; ".join(f"{o.name}: {o.status.lower()} ({o.error or 'no message'})" for o in failed)
            raise generate.DemoError(f"Not every shot was generated: {lines}")
        for o in outcomes:
            console.note(f"{o.name}: {o.seconds:.2f} s clip, strip '{o.strip}'")

        console.step("Writing the storyboard")
        board = outputs.write_storyboard(scene, out / "storyboard.png")
        console.note(_shown(board))

        console.step("Rendering the edit with Blender's Sequencer (H.264 MP4)")
        movie = outputs.render_edit(scene, out / "demo.mp4", console)
        console.note(_shown(movie))

        console.step("Saving the .blend")
        outputs.save_blend(blend)
        console.note(_shown(blend))

        first, last = scene.frame_start, scene.frame_end
        report = {
            "shots": len(cameras),
            "takes": sum(len(c.movie_director.takes) for c in cameras),
            "frames": last - first + 1,
            "seconds": (last - first + 1) / plan.fps,
            "shot_lines": [(o.name, s.kind, o.seconds) for o, s in zip(outcomes, plan.shots, strict=True)],
        }
        _summary(console, opts, plan, report)
    finally:
        generate.disable_extension()
        if standin is not None:
            launch_wan2gp.stop_standin(standin)


def main(argv: Sequence[str] | None = None) -> int:
    opts = demo_options.parse(argv)
    plan = plan_for(opts.quick)
    _prepare_output(opts.output)
    logs = opts.output / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    blender_log = logs / "blender.log"
    stream = _redirect_native_output(blender_log)
    steps = 7 + (1 if any(s.from_still for s in plan.shots) else 0)  # 7: with the cast's pictures
    console = Console(stream, steps=steps)
    console.line(f"Movie Director demo: '{plan.title}', {len(plan.shots)} shots, into {_shown(opts.output)}/")
    if opts.uses_standin and os.environ.get("WAVESPEED_API_KEY"):
        console.note("WAVESPEED_API_KEY is set, but the demo only bills it with --wavespeed.")
    work = Path(tempfile.mkdtemp(prefix="movie_director_demo_"))
    _isolate_blender_user_folders(work)
    try:
        run(opts, console, work)
    except Exception as exc:
        traceback.print_exc()  # into the log
        console.line()
        console.line(f"The demo failed: {exc}")
        console.line(f"Details: {_shown(blender_log)}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0
