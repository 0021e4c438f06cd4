"""``movie-director``: the director tools from a shell, on a saved .blend.

    movie-director list film.blend [--json]
    movie-director generate film.blend [--shot Shot_010 ...] [--backend wan2gp|wavespeed]
                   [--quality preview|final] [--timeout 1800] [--no-save] [--resume]
                   [--max-cost 2.50]
    movie-director storyboard film.blend [--out board.png] [--cell-width 320]
    movie-director save film.blend [--as copy.blend]

Also ``python -m blender_movie_director ...``, and inside Blender with the extension enabled (the file
given to Blender is used when none is named here; ``movie_director`` is the alias the extension registers,
whatever repository it is installed in)::

    blender -b film.blend --python-expr "import movie_director as md; md.cli.main()" -- generate

Servers and keys come from the environment (``WAN2GP_URL``, ``WAVESPEED_API_KEY``, ``WAVESPEED_BASE_URL``)
or the flags. ``generate`` allows Blender's online access for its own process (running it is the user's
request to go online; nothing is saved to the preferences) unless Blender runs with ``--offline-mode``.
Exit codes: 0 done; 1 a shot failed or could not start; 2 bad command line, file or shot name;
3 no Blender Python module.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

ADDON = __package__ or "blender_movie_director"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_BLENDER = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="movie-director", description="Movie Director: generate a .blend's shots, review them, save."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def with_file(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("blend", nargs="?", help="the .blend file (inside Blender: the file Blender opened)")
        p.add_argument("--scene", help="scene name (default: the file's active scene)")
        return p

    p = with_file("list", "List the scene's shots: frames, length, backend, model, status, takes, prompt.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p = with_file("generate", "Generate shots (all, or the named ones) and cut them into the Sequencer.")
    p.add_argument("--shot", action="append", default=[], help="shot (camera) name; repeat for more")
    p.add_argument("--backend", choices=("wan2gp", "wavespeed"), help="override every shot's backend")
    p.add_argument("--quality", choices=("preview", "final"), default="preview")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for all shots")
    p.add_argument("--wan2gp-url", help="Wan2GP server address (default: WAN2GP_URL or localhost:7860)")
    p.add_argument("--wavespeed-url", help="WaveSpeed address (default: WAVESPEED_BASE_URL or the service)")
    p.add_argument("--output", help="output folder for clips (default: beside the .blend)")
    p.add_argument("--no-save", action="store_true", help="do not save the .blend afterwards")
    p.add_argument(
        "--max-cost",
        type=float,
        metavar="USD",
        help="refuse the whole run, submitting nothing, if its estimated cost (price list) is above this "
        "many dollars or a price is unknown; the scene's own budget applies too",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="first take up the jobs an earlier session left in the file's job store (with today's servers "
        "and keys; a paid task is fetched by its id), then generate the shots that have none",
    )
    p = with_file("storyboard", "Write a PNG contact sheet of the scene's shots.")
    p.add_argument("--out", help="PNG path (default: the output folder)")
    p.add_argument("--cell-width", type=int, default=320)
    p = with_file("save", "Save the .blend (or a copy).")
    p.add_argument("--as", dest="save_as", help="save a copy here instead")
    return parser


def _argv(argv: list[str] | None) -> list[str]:
    if argv is not None:
        return argv
    if "--" in sys.argv:  # blender -b file.blend --python-expr ... -- generate
        return sys.argv[sys.argv.index("--") + 1 :]
    return sys.argv[1:]


# --- Blender session -----
def _bpy() -> Any:
    try:
        import bpy
    except ImportError as exc:
        raise CliError(
            "movie-director needs Blender's Python module: run it with Blender's Python, inside Blender "
            "(blender -b file.blend --python-expr ...), or install the bpy wheel for Blender 4.2-5.0.",
            EXIT_NO_BLENDER,
        ) from exc
    return bpy


def _enable(bpy: Any) -> None:
    if hasattr(bpy.types.Object, "movie_director"):
        return  # already registered (inside Blender with the extension enabled)
    import addon_utils

    package = sys.modules.get(ADDON)
    if package is not None and getattr(package, "__file__", None):
        # Already imported (python -m): tell addon_utils it is current, or it would reload a second copy
        # of the package beside the one running this command.
        package.__time__ = Path(package.__file__).stat().st_mtime
    errors: list[BaseException] = []
    # default_set: the add-on must be in the preferences' list for its preferences to exist (nothing is
    # saved: the bpy module and blender -b do not write preferences on their own).
    module = addon_utils.enable(ADDON, default_set=True, handle_error=errors.append)
    if module is None or errors:
        raise CliError(f"The Movie Director extension could not be enabled: {errors[0] if errors else ''}", 1)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send what Blender's C code prints to stdout (file descriptor 1) to stderr for a while."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (embedded): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def open_blend(bpy: Any, path: str | None) -> Path:
    _enable(bpy)
    if path:
        blend = Path(path).expanduser().resolve()
        if not blend.is_file():
            raise CliError(f"No such .blend file: {blend}")
        if Path(bpy.data.filepath or "").resolve() != blend:
            try:
                bpy.ops.wm.open_mainfile(filepath=str(blend), load_ui=False)
            except RuntimeError as exc:
                raise CliError(f"Blender could not open {blend}: {exc}") from exc
        return blend
    if bpy.data.filepath:
        return Path(bpy.data.filepath)
    raise CliError("Name the .blend file to work on.")


def _scene(bpy: Any, name: str | None) -> Any:
    if not name:
        return bpy.context.scene
    scene = bpy.data.scenes.get(name)
    if scene is None:
        raise CliError(f"No scene named '{name}' (scenes: {', '.join(s.name for s in bpy.data.scenes)}).")
    return scene


# --- commands -----
def shot_rows(scene: Any) -> list[dict[str, Any]]:
    from .scene import props, shots

    rows = []
    for obj in shots.scene_shots(scene):
        settings = obj.movie_director
        rng = shots.shot_range(scene, obj)
        rows.append(
            {
                "shot": obj.name,
                "frames": [rng.start, rng.end],
                "seconds": round(shots.shot_seconds(scene, obj), 3),
                "backend": settings.backend.lower(),
                "model": props.shot_model(settings),
                "status": settings.status,
                "takes": len(settings.takes),
                "strip": settings.strip_name,
                "prompt": settings.prompt,
            }
        )
    return rows


def cmd_list(bpy: Any, args: argparse.Namespace, out: TextIO) -> int:
    scene = _scene(bpy, args.scene)
    rows = shot_rows(scene)
    if args.json:
        out.write(json.dumps({"scene": scene.name, "shots": rows}, indent=2) + "\n")
        return EXIT_OK
    if not rows:
        out.write(f"Scene '{scene.name}' has no shots (cameras).\n")
        return EXIT_OK
    out.write(
        f"{'Shot':<16} {'Frames':<11} {'Sec':>6}  {'Backend':<9} {'Model':<28} {'Status':<11} Takes  Prompt\n"
    )
    for r in rows:
        frames = f"{r['frames'][0]}-{r['frames'][1]}"
        prompt = r["prompt"] if len(r["prompt"]) <= 40 else r["prompt"][:39] + "…"
        out.write(
            f"{r['shot']:<16} {frames:<11} {r['seconds']:>6.2f}  {r['backend']:<9} {r['model'][:28]:<28} "
            f"{r['status']:<11} {r['takes']:>5}  {prompt}\n"
        )
    return EXIT_OK


def _configure(bpy: Any, args: argparse.Namespace) -> None:
    from .scene import shots
    from .scene.config import get_preferences

    if getattr(bpy.app, "online_access_override", False):
        raise CliError(shots.OFFLINE_OVERRIDE_HINT + ".", EXIT_FAILED)
    bpy.context.preferences.system.use_online_access = True  # this process only; preferences are not saved
    prefs = get_preferences()
    if args.wan2gp_url:
        prefs.wan2gp_url = args.wan2gp_url
    if args.wavespeed_url:
        prefs.wavespeed_base_url = args.wavespeed_url
    if args.output:
        prefs.output_folder = str(Path(args.output).expanduser().resolve())


def cmd_generate(bpy: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .scene import props, shots
    from .session import submit

    if args.max_cost is not None and not args.max_cost > 0:
        raise CliError(f"--max-cost {args.max_cost:g}: give an amount in dollars above 0.")
    scene = _scene(bpy, args.scene)
    _configure(bpy, args)
    cams = shots.scene_shots(scene)
    if args.shot:
        known = {c.name: c for c in cams}
        missing = [n for n in args.shot if n not in known]
        if missing:
            raise CliError(f"No shot named {', '.join(map(repr, missing))} in scene '{scene.name}' "
                           f"(shots: {', '.join(known) or 'none'}).")  # fmt: skip
        cams = [known[n] for n in args.shot]
    if not cams:
        raise CliError(f"Scene '{scene.name}' has no shots (cameras) to generate.", EXIT_FAILED)
    failures: list[str] = []
    started = []
    earlier_shots = _resume(bpy, args.resume, err)
    fresh = [obj for obj in cams if obj.name not in earlier_shots]
    for obj in fresh:
        settings = obj.movie_director
        if args.backend and settings.backend != args.backend.upper():
            settings.backend = args.backend.upper()
            props.set_shot_model(settings, "")  # the backend's default model
    try:  # the whole run is priced first: over the limit or the budget, nothing is submitted
        submit.check_batch(scene, args.quality, objs=fresh, max_cost=args.max_cost)
    except submit.ShotNotReadyError as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc
    for obj in cams:
        if obj.name in earlier_shots:  # resumed (running now) or failed to resume: never submitted twice
            started.append(obj)
            continue
        try:
            submit.submit_shot(obj, args.quality, batch=len(cams) > 1)
            started.append(obj)
        except submit.ShotNotReadyError as exc:
            failures.append(str(exc))
            err.write(f"{obj.name}: not started: {exc}\n")
    if started:
        _wait(started, args.timeout, err)
    for obj in started:
        settings = obj.movie_director
        if settings.status == "DONE":
            take = settings.takes[settings.active_take_index]
            out.write(
                f"{obj.name}: done, take {take.number} in strip '{settings.strip_name}' ({take.filepath})\n"
            )
        else:
            failures.append(
                f"{obj.name}: {settings.status.lower()}: {settings.last_error or settings.progress_text}"
            )
            err.write(
                f"{obj.name}: {settings.status.lower()}: {settings.last_error or settings.progress_text}\n"
            )
    if not args.no_save:
        bpy.ops.wm.save_mainfile()
        out.write(f"Saved {bpy.data.filepath}\n")
    if failures:
        err.write(f"{len(failures)} of {len(cams)} shot(s) failed.\n")
        return EXIT_FAILED
    return EXIT_OK


def _resume(bpy: Any, resume: bool, err: TextIO) -> set[str]:
    """The jobs an earlier session left in the file's store: with ``--resume``, start them (today's
    settings) and return their shots' names; without it, say they wait (opening a file starts nothing)."""
    from .session import drain, earlier, engine

    offer = engine.earlier(timeout=60)
    for notice in offer.notices:
        err.write(f"job store: {notice}\n")
    if not offer.count:
        return set()
    if not resume:
        err.write(
            f"{offer.count} job(s) from an earlier session wait in the file's job store: add --resume to "
            "take them up (generating their shots again starts new jobs).\n"
        )
        return set()
    started = earlier.resume()
    drain.drain()  # the shots take their jobs' first state (queued, or failed with the reason)
    err.write(f"Resumed {len(started)} of {offer.count} job(s) from an earlier session.\n")
    return {r.request.shot.shot for r in offer.records if r.request.shot.shot}


def _bar(fraction: float, width: int = 24) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _wait(cams: list[Any], timeout: float, err: TextIO) -> None:
    """Drain until every shot is finished and cut in, drawing a progress bar on ``err``."""
    from .scene import props
    from .session import drain

    names = [c.name for c in cams]
    tty = hasattr(err, "isatty") and err.isatty()
    end = time.monotonic() + timeout
    last_line, last_printed, last_print = "", "", 0.0
    while True:
        drain.drain()
        objs = [o for o in (bpy_object(n) for n in names) if o is not None]
        busy = [o for o in objs if props.is_active(o.movie_director)]
        fraction = sum(
            1.0 if not props.is_active(o.movie_director) else o.movie_director.progress for o in objs
        )
        fraction /= max(1, len(names))
        current = busy[0] if busy else None
        detail = f"{current.name}: {current.movie_director.progress_text}" if current else "cutting in"
        line = f"{_bar(fraction)} {len(names) - len(busy)}/{len(names)} shots  {detail}"[:110]
        now = time.monotonic()
        if tty:
            err.write("\r" + line.ljust(110))
        elif line != last_line and now - last_print > 1.0:
            err.write(line + "\n")
            last_print, last_printed = now, line
        last_line = line
        if not busy and drain.pending_imports() == 0:
            if not tty and line != last_printed:
                err.write(line + "\n")  # the final state, whatever the rate limit
            break
        if now > end:
            raise CliError(f"Shots still running after {timeout:.0f} s: {', '.join(o.name for o in busy)}", 1)
        time.sleep(0.1)
    if tty:
        err.write("\n")
    err.flush()


def bpy_object(name: str) -> Any:
    import bpy

    return bpy.data.objects.get(name)


def cmd_storyboard(bpy: Any, args: argparse.Namespace, out: TextIO) -> int:
    from .scene import storyboard

    scene = _scene(bpy, args.scene)
    path = Path(args.out).expanduser().resolve() if args.out else storyboard.default_path(scene)
    try:
        board = storyboard.write_storyboard(scene, path, cell_width=args.cell_width)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc
    layout = board.layout
    out.write(f"Storyboard: {board.path} ({layout.width}x{layout.height}, {len(board.cells)} shots)\n")
    return EXIT_OK


def cmd_save(bpy: Any, args: argparse.Namespace, out: TextIO) -> int:
    if args.save_as:
        target = Path(args.save_as).expanduser().resolve()
        bpy.ops.wm.save_as_mainfile(filepath=str(target), copy=True)
    else:
        bpy.ops.wm.save_mainfile()
        target = Path(bpy.data.filepath)
    out.write(f"Saved {target}\n")
    return EXIT_OK


def run(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Parse and run one command; returns the exit code (never calls sys.exit)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(_argv(argv))
    except SystemExit as exc:  # argparse already printed the usage
        return int(exc.code or 0)
    # Blender's own log lines (file reads, renders) go to stderr; our results alone go to stdout.
    buffer = io.StringIO()
    try:
        with quiet_stdout():
            return _dispatch(args, buffer, err)
    except CliError as exc:
        err.write(f"movie-director: {exc}\n")
        return exc.code
    finally:
        out.write(buffer.getvalue())


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    bpy = _bpy()
    open_blend(bpy, args.blend)
    if args.command == "list":
        return cmd_list(bpy, args, out)
    if args.command == "generate":
        return cmd_generate(bpy, args, out, err)
    if args.command == "storyboard":
        return cmd_storyboard(bpy, args, out)
    return cmd_save(bpy, args, out)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run and exit with the command's code.

    Inside a Blender executable in background mode (``blender -b ... --python-expr``) the code becomes
    Blender's exit code; in Blender's UI the code is only returned.
    """
    code = run(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    bpy = sys.modules.get("bpy")
    if bpy is not None and bpy.app.binary_path and not bpy.app.background:
        return code
    raise SystemExit(code)
