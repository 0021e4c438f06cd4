"""The demo's command line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUTPUT = "demo_output"


@dataclass(frozen=True)
class Options:
    quick: bool
    output: Path
    wan2gp_url: str  # "" = start the local stand-in
    wavespeed: bool
    timeout_minutes: float

    @property
    def backend(self) -> str:
        return "WAVESPEED" if self.wavespeed else "WAN2GP"

    @property
    def uses_standin(self) -> bool:
        return not self.wavespeed and not self.wan2gp_url


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/demo.sh",
        description=(
            "Build a small film in Blender, generate every shot with Movie Director, cut the clips into the "
            "Sequencer, and write the .blend, a storyboard PNG and Blender's render of the edit (MP4). "
            "By default the clips come from a local Wan2GP stand-in: no GPU, no account."
        ),
    )
    p.add_argument("--quick", action="store_true", help="two shots at a small size (about a minute)")
    p.add_argument(
        "--output", type=Path, default=Path(DEFAULT_OUTPUT), metavar="DIR",
        help=f"where the files go (default: {DEFAULT_OUTPUT}/ in the current folder)",
    )  # fmt: skip
    p.add_argument(
        "--wan2gp-url", default="", metavar="URL",
        help="generate on this real Wan2GP (WanGP) server instead of the local stand-in, "
        "e.g. http://gpu-box:7860",
    )  # fmt: skip
    p.add_argument(
        "--wavespeed", action="store_true",
        help="generate on WaveSpeed with the key in WAVESPEED_API_KEY (billed; the cost is shown first)",
    )  # fmt: skip
    p.add_argument(
        "--timeout", type=float, default=60.0, metavar="MINUTES", dest="timeout_minutes",
        help="give up if the shots are not all generated after this many minutes (default 60)",
    )  # fmt: skip
    return p


def parse(argv: Sequence[str] | None = None) -> Options:
    p = parser()
    args = p.parse_args(argv)
    if args.wavespeed and args.wan2gp_url:
        p.error("choose one: --wan2gp-url or --wavespeed")
    if args.wavespeed and not os.environ.get("WAVESPEED_API_KEY", "").strip():
        p.error("--wavespeed needs your key in the WAVESPEED_API_KEY environment variable")
    if args.timeout_minutes <= 0:
        p.error("--timeout must be a positive number of minutes")
    return Options(
        quick=args.quick,
        output=args.output.expanduser().resolve(),
        wan2gp_url=args.wan2gp_url.strip(),
        wavespeed=args.wavespeed,
        timeout_minutes=args.timeout_minutes,
    )
