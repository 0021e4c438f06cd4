"""The demo film as plain data: a lighthouse at dusk, in four shots (two with ``--quick``).

Every shot is a camera with a prompt and a place on the timeline. One camera has a keyframed move (the
extension turns it into words such as "dolly in" in the prompt); one shot starts from a still that Blender
renders of the 3D set (image to video).
"""

from __future__ import annotations

from dataclasses import dataclass

Vec = tuple[float, float, float]
#: Where the lantern of the lighthouse is; cameras aim at points of the set.
LANTERN: Vec = (0.0, 0.0, 8.4)


@dataclass(frozen=True)
class ShotPlan:
    prompt: str
    frames: int
    location: Vec
    target: Vec  # the point the camera looks at
    move_to: Vec | None = None  # keyframed: the camera travels from ``location`` to here over the shot
    from_still: bool = False  # image to video, starting from a still rendered of this camera's view

    @property
    def kind(self) -> str:
        if self.from_still:
            return "image to video from a Blender still"
        if self.move_to is not None:
            return "text to video, keyframed camera move"
        return "text to video"


@dataclass(frozen=True)
class FilmPlan:
    title: str
    width: int
    height: int
    fps: int
    shots: tuple[ShotPlan, ...]

    @property
    def frames(self) -> int:
        return sum(s.frames for s in self.shots)

    def starts(self) -> list[int]:
        """The first frame of each shot (the film starts at frame 1)."""
        out, frame = [], 1
        for shot in self.shots:
            out.append(frame)
            frame += shot.frames
        return out


ESTABLISHING = ShotPlan(
    prompt="A lonely lighthouse on a rocky cliff at dusk, waves rolling in, warm light in its lantern room",
    frames=48,
    location=(0.0, -30.0, 5.0),
    target=(0.0, 0.0, 6.0),
    move_to=(0.0, -17.0, 6.0),
)
KEEPER = ShotPlan(
    prompt="The lighthouse keeper climbs the spiral stairs, an oil lamp in hand, dust floating in the air",
    frames=48,
    location=(3.0, -6.0, 4.0),
    target=(0.0, 0.0, 5.5),
)
LAMP = ShotPlan(
    prompt="The great lamp flickers on and its beam sweeps slowly across the darkening sea",
    frames=48,
    location=(-4.0, -9.0, 7.5),
    target=LANTERN,
    from_still=True,
)
WAVES = ShotPlan(
    prompt="Close-up of waves crashing on the rocks below the lighthouse, spray glowing in the last light",
    frames=48,
    location=(3.0, -7.5, 1.0),
    target=(0.0, -2.5, 0.8),
)

FULL = FilmPlan("The Lighthouse", 640, 352, 24, (ESTABLISHING, KEEPER, LAMP, WAVES))
QUICK = FilmPlan(
    "The Lighthouse (quick)",
    320,
    192,
    24,
    (
        ShotPlan(ESTABLISHING.prompt, 36, ESTABLISHING.location, ESTABLISHING.target, ESTABLISHING.move_to),
        ShotPlan(LAMP.prompt, 36, LAMP.location, LAMP.target, from_still=True),
    ),
)


def plan_for(quick: bool) -> FilmPlan:
    return QUICK if quick else FULL
