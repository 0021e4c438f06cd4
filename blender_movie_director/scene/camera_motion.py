"""Camera animation -> camera moves -> the motion words a video model understands.

Pure Python, no ``bpy`` (the Blender sampler is :mod:`.camera_prompt`), so every rule here is tested on
synthetic samples in plain Python.

Input: the shot camera's world transform and lens sampled over the shot's frames (:class:`CameraSample`).
Output: a :class:`MotionAnalysis` (a list of :class:`Move`), and text for a model family
(:func:`describe`).

How moves are read
------------------
- Translation is the net displacement in the camera's *starting heading* frame (forward/right on the
  ground plane, world Z for up): forward = dolly in/out, sideways = truck left/right, vertical = pedestal
  up/down. So "moves ahead while panning left" reads as dolly in + pan left, the way it was shot. A camera
  looking nearly straight up or down uses its own axes instead (its heading is undefined).
- Rotation: pan = change of heading (about world Z), tilt = change of elevation of the view axis, roll =
  the angle of the camera's right axis against the horizon, measured about the view axis.
- Zoom: the focal length's ratio, end over start (an orthographic camera's sampler passes 1/ortho_scale).
- Orbit: the camera travels sideways while turning so that it keeps looking at one point: the view rays
  of all samples pass close to one point on the ground plane, the camera stays at about the same distance
  from it and turns by at least ``orbit_min_degrees``. An orbit replaces the pan and truck it is made of.
- Static: nothing above the thresholds.
Only net motion counts (a camera that pans left and back reads as static); ``wobble`` marks that case.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Vec = tuple[float, float, float]

MOVE_ORDER = ("orbit", "dolly", "truck", "pedestal", "pan", "tilt", "roll", "zoom", "static")
#: Model families with their own phrasing.
FAMILIES = ("wan", "hunyuan", "ltx", "generic")


@dataclass(frozen=True)
class CameraSample:
    """The camera at one frame: position, unit axes in world space, and lens."""

    frame: float
    location: Vec
    forward: Vec  # the view direction (Blender camera: -Z of its matrix)
    up: Vec  # the camera's up axis (+Y of its matrix)
    focal_length: float = 50.0  # mm (orthographic: any value proportional to 1/ortho_scale)


@dataclass(frozen=True)
class Thresholds:
    min_translation: float = 0.1  # scene units over the shot
    #: A translation component is named only if it is at least this share of the largest one.
    dominance: float = 0.35
    min_degrees: float = 3.0
    min_zoom_ratio: float = 1.08
    orbit_min_degrees: float = 15.0
    #: Orbit: how far the camera's distance to the centre may vary (fraction of the mean distance).
    orbit_radius_tolerance: float = 0.2
    #: Orbit: how far off the view axis the centre may be, as a share of the distance (0.15 ~ 8.5 deg).
    orbit_aim_tolerance: float = 0.15
    slow_degrees_per_second: float = 10.0
    fast_degrees_per_second: float = 45.0
    slow_units_per_second: float = 0.4
    fast_units_per_second: float = 3.0


@dataclass(frozen=True)
class Move:
    kind: str  # one of MOVE_ORDER
    direction: str = ""  # in/out, left/right, up/down, clockwise/counterclockwise
    amount: float = 0.0  # scene units, degrees, or zoom ratio (>= 1)
    speed: str = ""  # "slow", "" (moderate) or "fast"

    @property
    def label(self) -> str:
        """Short English label for the UI, e.g. 'pan left 30°'."""
        unit = {"dolly": "", "truck": "", "pedestal": "", "zoom": "x"}.get(self.kind, "°")
        amount = f" {self.amount:.1f}{unit}" if self.kind != "static" else ""
        words = " ".join(w for w in (self.speed, self.kind, self.direction) if w)
        return words + amount


@dataclass(frozen=True)
class MotionAnalysis:
    moves: tuple[Move, ...]
    seconds: float
    frames: int
    #: The camera moved during the shot but ended about where it started.
    wobble: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_static(self) -> bool:
        return all(m.kind == "static" for m in self.moves)

    def kinds(self) -> list[str]:
        return [m.kind for m in self.moves]

    def find(self, kind: str) -> Move | None:
        return next((m for m in self.moves if m.kind == kind), None)


# --- small vector helpers (pure Python: a shot has at most a few hundred samples) -----
def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm(a: Vec) -> float:
    return math.sqrt(_dot(a, a))


def _unit(a: Vec) -> Vec:
    n = _norm(a)
    return (a[0] / n, a[1] / n, a[2] / n) if n > 1e-12 else (0.0, 0.0, 0.0)


def _wrap(angle: float) -> float:
    """An angle difference in (-pi, pi]."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


WORLD_UP: Vec = (0.0, 0.0, 1.0)
#: Above this |forward.z| the camera looks (nearly) straight up or down and has no usable heading.
VERTICAL_LIMIT = 0.9


def _heading_frame(sample: CameraSample) -> tuple[Vec, Vec, Vec]:
    """(forward, right, up) used to split a step into dolly/truck/pedestal."""
    fwd = _unit(sample.forward)
    if abs(fwd[2]) > VERTICAL_LIMIT:
        up = _unit(sample.up)
        return fwd, _unit(_cross(fwd, up)), up
    flat = _unit((fwd[0], fwd[1], 0.0))
    return flat, _unit(_cross(flat, WORLD_UP)), WORLD_UP


def _heading(sample: CameraSample) -> float:
    fwd = _unit(sample.forward)
    if abs(fwd[2]) > VERTICAL_LIMIT:
        # Looking straight down/up: the camera's up axis says where "ahead" is on the ground.
        up = _unit(sample.up)
        return math.atan2(up[1], up[0])
    return math.atan2(fwd[1], fwd[0])


def _elevation(sample: CameraSample) -> float:
    return math.asin(max(-1.0, min(1.0, _unit(sample.forward)[2])))


def _roll(sample: CameraSample) -> float:
    """Signed angle of the camera's right axis against the horizon, about the view axis (radians)."""
    fwd = _unit(sample.forward)
    if abs(fwd[2]) > VERTICAL_LIMIT:
        return 0.0
    right = _unit(_cross(fwd, _unit(sample.up)))
    level = _unit(_cross(fwd, WORLD_UP))
    # Positive = clockwise as the viewer sees it (the image's right side goes down).
    return math.atan2(_dot(_cross(level, right), fwd), _dot(level, right))


def _speed_word(rate: float, slow: float, fast: float) -> str:
    if rate < slow:
        return "slow"
    if rate > fast:
        return "fast"
    return ""


@dataclass
class _Totals:
    forward: float = 0.0
    right: float = 0.0
    up: float = 0.0
    pan: float = 0.0  # radians, positive = heading turns counterclockwise seen from above = left
    path: float = 0.0  # total distance travelled
    peak: float = 0.0  # farthest distance from the start position


def _integrate(samples: Sequence[CameraSample]) -> _Totals:
    totals = _Totals()
    start = samples[0].location
    fwd, right, up = _heading_frame(samples[0])
    net = _sub(samples[-1].location, start)
    totals.forward, totals.right, totals.up = _dot(net, fwd), _dot(net, right), _dot(net, up)
    for a, b in itertools.pairwise(samples):
        step = _sub(b.location, a.location)
        totals.pan += _wrap(_heading(b) - _heading(a))
        totals.path += _norm(step)
        totals.peak = max(totals.peak, _norm(_sub(b.location, start)))
    return totals


def _orbit_centre(samples: Sequence[CameraSample]) -> tuple[float, float] | None:
    """The ground-plane point closest (least squares) to every sample's horizontal view ray, if any."""
    # Each ray: p + t*d in 2D; its normal n = (-d.y, d.x); the centre c satisfies n.c = n.p for all rays.
    a11 = a12 = a22 = b1 = b2 = 0.0
    for s in samples:
        d = _unit((s.forward[0], s.forward[1], 0.0))
        if d == (0.0, 0.0, 0.0):
            return None
        n = (-d[1], d[0])
        k = n[0] * s.location[0] + n[1] * s.location[1]
        a11 += n[0] * n[0]
        a12 += n[0] * n[1]
        a22 += n[1] * n[1]
        b1 += n[0] * k
        b2 += n[1] * k
    det = a11 * a22 - a12 * a12
    if abs(det) < 1e-9 * max(1.0, a11 * a22):
        return None  # parallel rays: no common point
    return ((b1 * a22 - b2 * a12) / det, (a11 * b2 - a12 * b1) / det)


def _orbit(
    samples: Sequence[CameraSample], totals: _Totals, th: Thresholds
) -> tuple[Move, float, float] | None:
    """An orbit move and the camera's distance to its centre at the start and at the end, or None."""
    if abs(math.degrees(totals.pan)) < th.orbit_min_degrees:
        return None
    centre = _orbit_centre(samples)
    if centre is None:
        return None
    radii = []
    for s in samples:
        offset = (centre[0] - s.location[0], centre[1] - s.location[1], 0.0)
        fwd = _unit((s.forward[0], s.forward[1], 0.0))
        along = _dot(offset, fwd)
        if along <= 0:
            return None  # the centre is behind the camera: it turns away, not around
        radius = _norm(offset)
        if math.sqrt(max(0.0, radius * radius - along * along)) > th.orbit_aim_tolerance * radius:
            return None  # the camera does not keep looking at the centre (e.g. a dolly while panning)
        radii.append(radius)
    mean = sum(radii) / len(radii)
    if mean <= 1e-6:
        return None  # the camera turns on the spot: a pan
    # The camera must go around the centre: its bearing from the centre changes with the pan.
    first, last = samples[0].location, samples[-1].location
    bearing0 = math.atan2(first[1] - centre[1], first[0] - centre[0])
    bearing1 = math.atan2(last[1] - centre[1], last[0] - centre[0])
    swept = _wrap(bearing1 - bearing0)
    if abs(math.degrees(swept)) < th.orbit_min_degrees or swept * totals.pan < 0:
        return None
    spread = (max(radii) - min(radii)) / mean
    # A dolly while orbiting is allowed; a smooth change of radius up to the tolerance either way.
    if spread > th.orbit_radius_tolerance * 2 + abs(radii[-1] - radii[0]) / mean:
        return None
    # Heading turns counterclockwise (pan left) while the camera travels to its right, and vice versa.
    direction = "right" if totals.pan > 0 else "left"
    degrees = abs(math.degrees(swept))
    return Move("orbit", direction, degrees), radii[0], radii[-1]


def analyze(
    samples: Sequence[CameraSample], fps: float, thresholds: Thresholds | None = None
) -> MotionAnalysis:
    """The net camera moves over ``samples`` (ordered by frame; at least one)."""
    th = thresholds or Thresholds()
    if not samples:
        raise ValueError("analyze() needs at least one camera sample")
    samples = sorted(samples, key=lambda s: s.frame)
    frames = round(samples[-1].frame - samples[0].frame) + 1
    seconds = max(frames - 1, 1) / fps if fps > 0 else 0.0
    if len(samples) == 1:
        return MotionAnalysis((Move("static"),), seconds, frames)
    totals = _integrate(samples)
    first, last = samples[0], samples[-1]
    moves: list[Move] = []

    def rot_speed(degrees: float) -> str:
        rate = degrees / seconds if seconds > 0 else 0.0
        return _speed_word(rate, th.slow_degrees_per_second, th.fast_degrees_per_second)

    def move_speed(units: float) -> str:
        rate = units / seconds if seconds > 0 else 0.0
        return _speed_word(rate, th.slow_units_per_second, th.fast_units_per_second)

    orbit = _orbit(samples, totals, th)
    translation = {"dolly": totals.forward, "truck": totals.right, "pedestal": totals.up}
    if orbit is not None:
        move, radius0, radius1 = orbit
        moves.append(Move(move.kind, move.direction, move.amount, rot_speed(move.amount)))
        # The sideways travel and the turn are the orbit; a change of distance is still a dolly.
        translation = {"pedestal": totals.up}
        if abs(radius1 - radius0) > th.orbit_radius_tolerance * radius0:
            translation["dolly"] = radius0 - radius1
    largest = max((abs(v) for v in translation.values()), default=0.0)
    names = {
        "dolly": ("in", "out"),
        "truck": ("right", "left"),
        "pedestal": ("up", "down"),
    }
    for kind in ("dolly", "truck", "pedestal"):
        value = translation.get(kind, 0.0)
        if abs(value) >= th.min_translation and abs(value) >= th.dominance * largest:
            positive, negative = names[kind]
            moves.append(Move(kind, positive if value > 0 else negative, abs(value), move_speed(abs(value))))
    if orbit is None:
        pan = math.degrees(totals.pan)
        if abs(pan) >= th.min_degrees:
            moves.append(Move("pan", "left" if pan > 0 else "right", abs(pan), rot_speed(abs(pan))))
    tilt = math.degrees(_elevation(last) - _elevation(first))
    if abs(tilt) >= th.min_degrees:
        moves.append(Move("tilt", "up" if tilt > 0 else "down", abs(tilt), rot_speed(abs(tilt))))
    roll = math.degrees(_wrap(_roll(last) - _roll(first)))
    if abs(roll) >= th.min_degrees:
        moves.append(
            Move("roll", "clockwise" if roll > 0 else "counterclockwise", abs(roll), rot_speed(abs(roll)))
        )
    if first.focal_length > 0 and last.focal_length > 0:
        ratio = last.focal_length / first.focal_length
        if max(ratio, 1 / ratio) >= th.min_zoom_ratio:
            amount = max(ratio, 1 / ratio)
            rate = math.log2(amount) / seconds if seconds > 0 else 0.0
            speed = "slow" if rate < 0.25 else "fast" if rate > 1.5 else ""
            moves.append(Move("zoom", "in" if ratio > 1 else "out", amount, speed))
    wobble = False
    if not moves:
        moves.append(Move("static"))
        wobble = totals.peak >= th.min_translation * 2
    moves.sort(key=lambda m: MOVE_ORDER.index(m.kind))
    return MotionAnalysis(tuple(moves), seconds, frames, wobble)


# --- words per model family -----
def family_for_model(model: str) -> str:
    """The phrasing family of a model id (Wan2GP id or WaveSpeed path)."""
    m = model.lower()
    if "hunyuan" in m:
        return "hunyuan"
    if "ltx" in m:
        return "ltx"
    if m.startswith(("t2v", "i2v", "vace", "flf2v", "fun_inp", "phantom", "multitalk", "infinitetalk")):
        return "wan"
    if "wan" in m or "/alibaba/" in m or m.startswith("alibaba/"):
        return "wan"
    return "generic"


_SPEED_ADVERB = {"slow": "slowly", "fast": "quickly", "": ""}

# Wan 2.x prompt guides use short cinematography terms ("push in", "pull back", "arc shot", "static shot").
_WAN_TERMS = {
    ("dolly", "in"): "push in",
    ("dolly", "out"): "pull back",
    ("truck", "left"): "camera moves left",
    ("truck", "right"): "camera moves right",
    ("pedestal", "up"): "crane up",
    ("pedestal", "down"): "crane down",
    ("pan", "left"): "pan left",
    ("pan", "right"): "pan right",
    ("tilt", "up"): "tilt up",
    ("tilt", "down"): "tilt down",
    ("roll", "clockwise"): "camera rolls clockwise",
    ("roll", "counterclockwise"): "camera rolls counterclockwise",
    ("zoom", "in"): "zoom in",
    ("zoom", "out"): "zoom out",
    ("orbit", "left"): "arc shot orbiting left",
    ("orbit", "right"): "arc shot orbiting right",
}

# Verb phrases for sentence-style families ("The camera <phrase>").
_VERBS = {
    ("dolly", "in"): "dollies in",
    ("dolly", "out"): "dollies out",
    ("truck", "left"): "trucks left",
    ("truck", "right"): "trucks right",
    ("pedestal", "up"): "rises",
    ("pedestal", "down"): "lowers",
    ("pan", "left"): "pans left",
    ("pan", "right"): "pans right",
    ("tilt", "up"): "tilts up",
    ("tilt", "down"): "tilts down",
    ("roll", "clockwise"): "rolls clockwise",
    ("roll", "counterclockwise"): "rolls counterclockwise",
    ("zoom", "in"): "zooms in",
    ("zoom", "out"): "zooms out",
    ("orbit", "left"): "orbits left around the subject",
    ("orbit", "right"): "orbits right around the subject",
}

# Plain words for models without a known camera vocabulary.
_PLAIN = {
    ("dolly", "in"): "moves forward",
    ("dolly", "out"): "moves backward",
    ("truck", "left"): "moves to the left",
    ("truck", "right"): "moves to the right",
    ("pedestal", "up"): "moves up",
    ("pedestal", "down"): "moves down",
    ("pan", "left"): "turns to the left",
    ("pan", "right"): "turns to the right",
    ("tilt", "up"): "tilts upward",
    ("tilt", "down"): "tilts downward",
    ("roll", "clockwise"): "rolls clockwise",
    ("roll", "counterclockwise"): "rolls counterclockwise",
    ("zoom", "in"): "zooms in",
    ("zoom", "out"): "zooms out",
    ("orbit", "left"): "circles left around the subject",
    ("orbit", "right"): "circles right around the subject",
}

_STATIC = {
    "wan": "Static shot, fixed camera.",
    "hunyuan": "The camera is static.",
    "ltx": "The camera is locked off and does not move.",
    "generic": "The camera does not move.",
}


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def describe(analysis: MotionAnalysis, family: str = "generic") -> str:
    """The motion words for ``family`` (see :data:`FAMILIES`), one short sentence."""
    family = family if family in FAMILIES else "generic"
    if analysis.is_static:
        return _STATIC[family]
    moves = [m for m in analysis.moves if m.kind != "static"]
    if family == "wan":
        terms = []
        for m in moves:
            term = _WAN_TERMS[(m.kind, m.direction)]
            if m.speed and term.startswith("camera "):  # a clause: "camera moves left slowly"
                terms.append(f"{term} {_SPEED_ADVERB[m.speed]}")
            else:  # a noun: "slow push in"
                terms.append(f"{m.speed} {term}" if m.speed else term)
        text = ", ".join(terms)
        return "Camera movement: " + text + "."
    table = _PLAIN if family == "generic" else _VERBS
    parts = []
    for i, m in enumerate(moves):
        phrase = table[(m.kind, m.direction)]
        adverb = _SPEED_ADVERB[m.speed]
        if adverb and i == 0:
            phrase = f"{adverb} {phrase}"
        elif adverb:
            phrase = f"{phrase} {adverb}"
        parts.append(phrase)
    if family == "ltx" and len(parts) > 1:
        return f"The camera {parts[0]} while it {_join(parts[1:])}."
    return f"The camera {_join(parts)}."


def motion_words(samples: Sequence[CameraSample], fps: float, model: str) -> str:
    """Analyse ``samples`` and describe them for ``model``'s family."""
    return describe(analyze(samples, fps), family_for_model(model))


# --- moves named in words (the design notes' ``["zoom_in", "pan_right"]``) -----
#: Movement names a script may ask for, and the move each one is. The design notes' spellings
#: (``zoom_in``, ``pan_right``) plus the film words the model terms use (``push_in``, ``crane_up``).
NAMED_MOVES: dict[str, tuple[str, str]] = {
    "static": ("static", ""),
    "dolly_in": ("dolly", "in"),
    "dolly_out": ("dolly", "out"),
    "push_in": ("dolly", "in"),
    "pull_back": ("dolly", "out"),
    "pull_out": ("dolly", "out"),
    "truck_left": ("truck", "left"),
    "truck_right": ("truck", "right"),
    "track_left": ("truck", "left"),
    "track_right": ("truck", "right"),
    "pedestal_up": ("pedestal", "up"),
    "pedestal_down": ("pedestal", "down"),
    "crane_up": ("pedestal", "up"),
    "crane_down": ("pedestal", "down"),
    "pan_left": ("pan", "left"),
    "pan_right": ("pan", "right"),
    "tilt_up": ("tilt", "up"),
    "tilt_down": ("tilt", "down"),
    "roll_clockwise": ("roll", "clockwise"),
    "roll_counterclockwise": ("roll", "counterclockwise"),
    "zoom_in": ("zoom", "in"),
    "zoom_out": ("zoom", "out"),
    "orbit_left": ("orbit", "left"),
    "orbit_right": ("orbit", "right"),
    "arc_left": ("orbit", "left"),
    "arc_right": ("orbit", "right"),
}


def moves_from_names(names: Sequence[str]) -> tuple[Move, ...]:
    """The moves ``names`` ask for (``"zoom_in"``, ``"Pan Right"``, ``"crane-up"``), in :data:`MOVE_ORDER`.

    Raises ``ValueError`` naming the known names for an unknown one, or for two names that ask the same
    move in opposite directions."""
    moves: dict[str, Move] = {}
    for name in names:
        key = "_".join(str(name).strip().lower().replace("-", " ").split())
        if key not in NAMED_MOVES:
            known = ", ".join(sorted(NAMED_MOVES))
            raise ValueError(f"Unknown camera movement {name!r}. Known: {known}")
        kind, direction = NAMED_MOVES[key]
        other = moves.get(kind)
        if other is not None and other.direction != direction:
            raise ValueError(f"Camera movements {other.label!r} and {name!r} contradict each other")
        moves[kind] = Move(kind, direction)
    return tuple(sorted(moves.values(), key=lambda m: MOVE_ORDER.index(m.kind)))


def with_requested(
    requested: Sequence[Move], analysis: MotionAnalysis | None, seconds: float = 0.0, frames: int = 0
) -> MotionAnalysis:
    """The moves to describe when a script asks for ``requested`` on a shot whose camera's own animation
    reads as ``analysis`` (None: nothing animates it). The animation wins where it says more: a kind of
    move it has (with its direction, amount and speed) replaces the requested one, and its other moves
    stay; an orbit it has also covers a requested pan or truck. Requested moves of other kinds are added.
    """
    own = [m for m in (analysis.moves if analysis else ()) if m.kind != "static"]
    covered = {m.kind for m in own}
    if "orbit" in covered:
        covered |= {"pan", "truck"}
    added = [m for m in requested if m.kind not in covered and m.kind != "static"]
    moves = own + added
    if not moves:
        moves = [Move("static")]
    moves.sort(key=lambda m: MOVE_ORDER.index(m.kind))
    if analysis is not None:
        return MotionAnalysis(tuple(moves), analysis.seconds, analysis.frames, analysis.wobble and not added)
    return MotionAnalysis(tuple(moves), seconds, frames)


def append_to_prompt(prompt: str, words: str) -> str:
    """``prompt`` with the motion words after it (once: words already at its end are not repeated)."""
    prompt = prompt.strip()
    words = words.strip()
    if not words or prompt.endswith(words):
        return prompt
    if not prompt:
        return words
    sep = " " if prompt.endswith((".", "!", "?")) else ". "
    return prompt + sep + words
