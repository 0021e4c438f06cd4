"""The cast's reference pictures in a shot's request (issue 17): which pictures go, which are left out, why.

:func:`plan` is pure: from the members in the shot (nearest first) and the model, it decides the pictures
sent in the request's ``image_refs`` role (newline-joined paths, what the runners and the job store read),
the members left out when the model takes fewer, the words added to the prompt, and the nearest model of the
same backend that takes pictures when the shot's model takes none. :func:`check_pictures` reads each chosen
file's first bytes and size, so a missing, unreadable, non-picture or too large reference is a message naming
the member and the file before any request. :func:`for_shot` reads the shot's cast from Blender
(:func:`..scene.cast.shot_cast`) and does both.

How many pictures a model takes: Wan2GP from its catalog (``backend/wan2gp/catalog_data.REFERENCE_ROWS``,
taken from WanGP's model handlers), WaveSpeed from its model data (``wavespeed/models.max_references``).

Threading: :func:`plan`, :func:`reference_limit`, :func:`nearest_model` are pure (any thread);
:func:`check_pictures` reads a few bytes of each file (called from an operator, never ``draw()``);
:func:`for_shot` and :func:`members_for` read ``bpy.data`` (main thread only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..backend.limits import MiB, describe_size
from ..backend.media import sniff_kind

#: The request input role the pictures travel in (newline-joined paths).
ROLE = "image_refs"
#: File types a reference may be, by its first bytes.
PICTURE_KINDS = frozenset({"png", "jpeg", "webp", "bmp"})
#: Movie Director's own limit for a Wan2GP reference picture: WanGP documents none, but every picture goes
#: into the queue zip uploaded through Gradio (and is decoded whole by Pillow on the server).
WAN2GP_PICTURE_MAX_BYTES = 32 * MiB
#: A WaveSpeed model without its own image limit in the model data.
WAVESPEED_PICTURE_MAX_BYTES = 10 * MiB
#: At most this many characters of one member's description reach the prompt.
DESCRIPTION_CHARS = 120


class ReferenceError(ValueError):
    """A chosen reference picture cannot be sent; the message names the member and the file."""

    def __init__(self, message: str, *, member: str, path: str) -> None:
        super().__init__(message)
        self.member = member
        self.path = path


@dataclass(frozen=True)
class Member:
    """One cast member in a shot, as the plan needs it (plain data)."""

    name: str
    kind: str  # "character" | "prop" | "place"
    description: str
    pictures: tuple[str, ...]
    distance: float = math.inf  # to the camera; the nearest are kept when the model takes fewer


@dataclass(frozen=True)
class ReferencePlan:
    """What the shot's request carries of its cast, and what the shot panel says about it."""

    backend: str  # "WAN2GP" | "WAVESPEED"
    model: str
    limit: int | None  # 0: the model takes none; None: no limit
    sent: tuple[tuple[str, str], ...] = ()  # (member, picture path) in the order sent
    left_out: tuple[str, ...] = ()  # "Dog", "Lighthouse (2 of 3 pictures)"
    prompt_addition: str = ""
    suggestion: str = ""  # a model of the same backend that takes pictures (when this one takes none)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(path for _member, path in self.sent)

    @property
    def wanted(self) -> bool:
        """Whether the shot has pictures its model would not take at all."""
        return self.limit == 0 and bool(self.left_out)

    def inputs(self) -> dict[str, str]:
        """The request input for the pictures sent (nothing when none)."""
        return {ROLE: "\n".join(self.paths)} if self.sent else {}

    def messages(self) -> list[str]:
        """What the shot panel says, one line each (empty when all is sent)."""
        lines: list[str] = []
        if self.wanted:
            lines.append(f"{self.model} takes no reference pictures: the cast's pictures are not sent")
        elif self.left_out:
            lines.append(f"{self.model} takes {self.limit}: left out {', '.join(self.left_out)}")
        return lines + list(self.notes)


# --- how many pictures a model takes -----
def reference_limit(backend: str, model: str, *, with_start_image: bool = False) -> int | None:
    """How many cast pictures ``model`` takes: 0 none, None no limit (Wan2GP only), else the count. A
    WaveSpeed family answers for the member the job runs (its reference-to-video one, unless the shot also
    sends a start picture)."""
    if backend.upper() == "WAVESPEED":
        from ..backend.errors import ValidationError
        from ..backend.wavespeed.models import max_references

        try:
            return max_references(model, with_start_image=with_start_image)
        except ValidationError:
            return 0  # an unknown model: the job says so, naming it
    from ..backend.wan2gp.catalog import cast_reference_limit

    return cast_reference_limit(model)


def nearest_model(backend: str, model: str) -> str:
    """The model of the same backend nearest ``model`` that takes cast pictures ("" when none does)."""
    if backend.upper() != "WAVESPEED":
        from ..backend.wan2gp.catalog import nearest_cast_model

        return nearest_cast_model(model)
    from ..backend.errors import ValidationError
    from ..backend.wavespeed.models import all_models, resolve_model

    try:
        here = resolve_model(model)
    except ValidationError:
        here = None
    takers = [
        s for s in all_models().values() if s.max_references and not s.retired and s.task in _SHOT_TASKS
    ]
    if not takers:
        return ""

    def distance(spec: Any) -> tuple:
        if here is None:
            return (0, 0, spec.model_id)
        provider = here.model_id.split("/", 1)[0]
        return (
            spec.short_name != here.short_name,
            not spec.model_id.startswith(provider + "/"),
            spec.model_id,
        )

    return min(takers, key=distance).model_id


#: WaveSpeed tasks a shot can run (a video-edit model needs a video to edit).
_SHOT_TASKS = frozenset({"text-to-video", "image-to-video", "reference-to-video"})


def _person(kind: str) -> bool:
    return kind == "character"


# --- the plan -----
def plan(
    members: Sequence[Member],
    backend: str,
    model: str,
    notes: Iterable[str] = (),
    *,
    with_start_image: bool = False,
) -> ReferencePlan:
    """Which pictures of ``members`` (nearest first) go to ``model``, which are left out, the prompt words.

    Pictures are taken round by round, nearest member first: every member's first picture, then every
    member's second, until the model's count is reached, so more members are seen before more sides of one.
    A model that takes one picture of a person gets the nearest character's first picture.
    """
    backend = backend.upper()
    ordered = sorted(members, key=lambda m: m.distance)  # stable: equal distances keep cast order
    limit = reference_limit(backend, model, with_start_image=with_start_image)
    suggestion = ""
    if backend != "WAVESPEED":
        from ..backend.wan2gp.catalog import reference_slot

        slot = reference_slot(model)
        if slot is not None and slot.role == "person":
            ordered = [m for m in ordered if _person(m.kind)] + [m for m in ordered if not _person(m.kind)]
    with_pictures = [m for m in ordered if m.pictures]
    chosen: list[tuple[str, str]] = []
    if limit != 0:
        rounds = max((len(m.pictures) for m in with_pictures), default=0)
        for index in range(rounds):
            for member in with_pictures:
                if index < len(member.pictures) and (limit is None or len(chosen) < limit):
                    chosen.append((member.name, member.pictures[index]))
    elif with_pictures:
        suggestion = nearest_model(backend, model)
    sent_by = {m.name: sum(1 for name, _ in chosen if name == m.name) for m in with_pictures}
    left_out: list[str] = []
    for member in with_pictures:
        count = sent_by[member.name]
        if count == 0:
            left_out.append(member.name)
        elif count < len(member.pictures):
            left_out.append(
                f"{member.name} ({len(member.pictures) - count} of {len(member.pictures)} pictures)"
            )
    return ReferencePlan(
        backend=backend,
        model=model,
        limit=limit,
        sent=tuple(chosen),
        left_out=tuple(left_out),
        prompt_addition=prompt_addition(ordered),
        suggestion=suggestion,
        notes=tuple(notes),
    )


def prompt_addition(members: Sequence[Member]) -> str:
    """The members' descriptions as a short sentence for the prompt ("" when none has one)."""
    parts = []
    for member in members:
        text = " ".join(member.description.split())
        if not text:
            continue
        if len(text) > DESCRIPTION_CHARS:
            text = text[: DESCRIPTION_CHARS - 1].rstrip() + "…"
        parts.append(f"{member.name} ({member.kind}): {text.rstrip('.')}")
    return ("In this shot: " + "; ".join(parts) + ".") if parts else ""


def with_cast(prompt: str, references: ReferencePlan) -> str:
    """The shot's prompt with the cast's words after it."""
    if not references.prompt_addition:
        return prompt
    return f"{prompt.rstrip()} {references.prompt_addition}".strip()


# --- the files -----
def picture_limits(backend: str, model: str) -> tuple[int, frozenset[str]]:
    """The largest reference picture the service accepts, in bytes, and the picture types it takes."""
    if backend.upper() != "WAVESPEED":
        return WAN2GP_PICTURE_MAX_BYTES, PICTURE_KINDS
    from ..backend.errors import ValidationError
    from ..backend.wavespeed.models import resolve_model
    from ..backend.wavespeed.roles import resolve_for_roles

    try:
        spec = resolve_for_roles(resolve_model(model).model_id, {ROLE: ""})
    except ValidationError:
        return WAVESPEED_PICTURE_MAX_BYTES, PICTURE_KINDS
    limit = spec.inputs.get("image")
    if limit is None:
        return WAVESPEED_PICTURE_MAX_BYTES, PICTURE_KINDS
    return int(limit.max_bytes), frozenset(limit.kinds) & PICTURE_KINDS or PICTURE_KINDS


def check_pictures(references: ReferencePlan, shot: str = "") -> None:
    """Raise :class:`ReferenceError` for the first picture to be sent that is missing, unreadable, not a
    picture, or larger than the service accepts; the message names the member and the file."""
    cap, kinds = picture_limits(references.backend, references.model)
    where = f"Shot '{shot}': " if shot else ""
    for member, path in references.sent:
        name = Path(path).name or path

        def fail(why: str, member: str = member, path: str = path, name: str = name) -> ReferenceError:
            return ReferenceError(
                f"{where}the reference picture '{name}' of cast member '{member}' {why} ({path}).",
                member=member,
                path=path,
            )

        file = Path(path)
        try:
            if not file.is_file():
                raise fail("does not exist")
            size = file.stat().st_size
            with file.open("rb") as f:
                head = f.read(64)
        except OSError as exc:
            raise fail(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
        if not head:
            raise fail("is empty")
        kind = sniff_kind(head)
        if kind not in kinds:
            found = f"a {kind.upper()} file" if kind else "not a picture"
            allowed = ", ".join(sorted(k.upper() for k in kinds))
            raise fail(f"is {found}; the model takes {allowed} pictures")
        if size > cap:
            service = "WaveSpeed" if references.backend == "WAVESPEED" else "Wan2GP"
            raise fail(f"is {describe_size(size)}, larger than the {describe_size(cap)} {service} accepts")


# --- from Blender (main thread) -----
def members_for(camera: Any, scene: Any = None) -> tuple[tuple[Member, ...], tuple[str, ...]]:
    """The members in ``camera``'s shot (after its overrides), nearest first, and the cast's notes."""
    from ..scene import cast, shots

    scene = scene or shots.scene_of(camera)
    found = cast.shot_cast(camera, scene)
    members = tuple(
        Member(
            name=ref.name,
            kind=ref.kind,
            description=ref.description,
            pictures=tuple(ref.pictures),
            distance=ref.distance,  # smallest over the shot's frames where it is in view (inf: included)
        )
        for ref in found.members
    )
    return members, tuple(found.notes)


#: The last bad-picture message per shot (shown on the shot until a request is built without one).
_problems: dict[str, str] = {}


def problem(shot: str) -> str:
    """The message of the last reference picture that stopped ``shot``'s request ("" when none)."""
    return _problems.get(shot, "")


def for_shot(
    camera: Any,
    backend: str,
    model: str,
    scene: Any = None,
    *,
    check: bool = True,
    with_start_image: bool = False,
) -> ReferencePlan:
    """The shot's reference plan for ``model``; with ``check`` the chosen files are checked too (raises
    :class:`ReferenceError`, remembered for the panel). Main thread (an operator or the request builder,
    never ``draw()``)."""
    members, notes = members_for(camera, scene)
    references = plan(members, backend, model, notes, with_start_image=with_start_image)
    if check:
        try:
            check_pictures(references, camera.name)
        except ReferenceError as exc:
            _problems[camera.name] = str(exc)
            raise
        _problems.pop(camera.name, None)
    return references


def cached_plan(
    camera: Any, scene: Any, backend: str, model: str, *, with_start_image: bool = False
) -> ReferencePlan | None:
    """The plan from what is already known (for ``draw()``: no detection, no file read): the members the
    cast detection last found for the shot with their distances, its overrides and the cast's pictures.
    None when the detection has not run since the scene changed."""
    from ..scene import cast

    seen = cast.cached_distances(camera)
    if seen is None:
        return None
    members, notes = [], []
    for member in cast.cast_of(scene).members:
        if not cast.has_objects(member) and not cast.member_pictures(member):
            notes.append(f"Cast member '{member.name}' has no objects and no pictures: skipped")
            continue
        choice = cast.override(camera, member)
        if choice == "EXCLUDE" or (choice != "INCLUDE" and member.name not in seen):
            continue
        members.append(
            Member(
                name=member.name,
                kind=cast.KINDS.get(member.kind, "character"),
                description=member.description.strip(),
                pictures=cast.member_pictures(member),
                distance=seen.get(member.name, math.inf),
            )
        )
    return plan(members, backend, model, notes, with_start_image=with_start_image)


def forget() -> None:
    """Drop what is remembered per shot (file load, unregister)."""
    _problems.clear()


__all__ = [
    "PICTURE_KINDS",
    "ROLE",
    "Member",
    "ReferenceError",
    "ReferencePlan",
    "cached_plan",
    "check_pictures",
    "for_shot",
    "forget",
    "members_for",
    "nearest_model",
    "picture_limits",
    "plan",
    "problem",
    "prompt_addition",
    "reference_limit",
    "with_cast",
]
