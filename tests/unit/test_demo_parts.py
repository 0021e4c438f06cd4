"""The demo's plain-Python parts (scripts/demo/): its command line, what it prints, the film plan, and the
output folder it is willing to write into. The whole demo runs in tests/demo."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from demo import console, options, plan, run  # noqa: E402


def test_bar_is_clamped_and_fills_with_the_fraction() -> None:
    assert console.format_bar(0.0, 10) == "[----------]   0%"
    assert console.format_bar(0.5, 10) == "[#####-----]  50%"
    assert console.format_bar(1.7, 10) == "[##########] 100%"
    assert console.format_bar(-1, 10) == "[----------]   0%"


def test_bar_in_a_log_prints_a_line_per_tenth_or_new_label() -> None:
    stream = io.StringIO()  # not a terminal
    out = console.Console(stream, steps=2)
    out.step("Generating")
    for i in range(101):
        out.bar(i / 100, "1/2 shots · Shot_010", f"step {i}")
    out.bar(1.0, "2/2 shots", "done")
    out.step("Rendering")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[1/2] Generating" and lines[-1] == "[2/2] Rendering"
    bars = lines[1:-1]
    assert len(bars) == 12  # 0%, 10%, ..., 100% for one label, then the new label
    assert bars[-1].endswith("2/2 shots: done") and "\r" not in stream.getvalue()


def test_seconds_read_well() -> None:
    assert console.format_seconds(41.6) == "42 s"
    assert console.format_seconds(125) == "2 min 05 s"


def test_options(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    opts = options.parse(["--quick", "--output", "somewhere"])
    assert opts.quick and opts.uses_standin and opts.backend == "WAN2GP"
    assert opts.output == (Path.cwd() / "somewhere").resolve()
    opts = options.parse(["--wan2gp-url", " http://gpu:7860 "])
    assert opts.wan2gp_url == "http://gpu:7860" and not opts.uses_standin
    with pytest.raises(SystemExit):
        options.parse(["--wavespeed"])  # no key: refused before anything starts
    assert "WAVESPEED_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv("WAVESPEED_API_KEY", "k")
    assert options.parse(["--wavespeed"]).backend == "WAVESPEED"
    with pytest.raises(SystemExit):
        options.parse(["--wavespeed", "--wan2gp-url", "http://x"])


def test_the_film_plans_cover_what_the_issue_asks_for() -> None:
    for film, count in ((plan.FULL, 4), (plan.QUICK, 2)):
        assert len(film.shots) == count
        assert any(s.move_to is not None for s in film.shots)  # a keyframed move
        assert any(s.from_still for s in film.shots)  # image to video from a still
        starts = film.starts()
        assert starts[0] == 1
        pairs = zip(starts[:-1], starts[1:], film.shots[:-1], strict=True)
        assert all(b - a == shot.frames for a, b, shot in pairs)
        assert film.width % 16 == 0 and film.height % 16 == 0
    assert plan.QUICK.width * plan.QUICK.height < plan.FULL.width * plan.FULL.height


def test_output_folder_holding_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("mine")
    with pytest.raises(SystemExit, match="already holds other files"):
        run._prepare_output(tmp_path)
    assert (tmp_path / "thesis.docx").exists()


def test_a_previous_demo_run_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "demo.blend").write_text("old")
    (tmp_path / "movie_director" / "Shot_010").mkdir(parents=True)
    run._prepare_output(tmp_path)
    assert list(tmp_path.iterdir()) == []
