"""P12: the extension zip's size per platform, the slim bundle (issue 16) beside the one before it.

Both are built by ``scripts/build_extension.py`` from the same wheel cache: "before" with ``--bundle-all``
(every wheel the requirements resolve to, less what Blender ships: the bundle until issue 16), "ours" as
shipped (less ``NOT_BUNDLED`` too). Sizes are bytes on disk, so one build per platform is the measurement
(``--repeat`` does not apply). Target: every zip at most 5 MB. No stand-in is needed.
"""

from __future__ import annotations

import re
import subprocess
import sys

from .context import ROOT, Context
from .harness import Row, Stats

FIG = "P12"
LIMIT_MB = 5.0
_ZIP = re.compile(r"movie_director-.+-(?P<platform>[a-z0-9_]+)\.zip$")


def build(ctx: Context, name: str, *extra: str) -> dict[str, float]:
    """Platform -> zip size in MB for one build of every platform."""
    out = ctx.folder(f"p12_{name}")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_extension.py"), "--output-dir", str(out), *extra],
        check=True,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    sizes = {}
    for archive in out.glob("movie_director-*.zip"):
        match = _ZIP.search(archive.name)
        if match:
            sizes[match["platform"]] = archive.stat().st_size / 1e6
    return sizes


def run(ctx: Context) -> list[Row]:
    ctx.log("P12: building every platform's zip, before (--bundle-all) and as shipped")
    before = build(ctx, "before", "--bundle-all", "--cached-wheels")
    ours = build(ctx, "ours", "--cached-wheels")
    rows = []
    for platform in sorted(ours):
        size = ours[platform]
        peer = before.get(platform)
        rows.append(
            Row(
                FIG,
                f"Extension zip, {platform}",
                "MB",
                ours=Stats.of([size]),
                peer=Stats.of([peer]) if peer is not None else None,
                peer_label="bundle before issue 16" if peer is not None else "no full bundle for it",
                ratio=size / peer if peer else None,
                target=f"<= {LIMIT_MB:g} MB",
                met=size <= LIMIT_MB,
            )
        )
    return rows
