"""requests/references.py without Blender: which cast pictures a model gets, what is left out, the prompt
words, the suggested model, and the file checks that stop a request before it is sent (issue 17)."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

from blender_movie_director.requests import references as refs
from blender_movie_director.requests.references import Member, ReferenceError

KLING_REFS = "kwaivgi/kling-v4.0/reference-to-video"


def member(
    name: str, pictures: int, distance: float, kind: str = "character", description: str = ""
) -> Member:
    return Member(name, kind, description, tuple(f"/p/{name}{i}.png" for i in range(pictures)), distance)


def test_a_model_without_references_gets_none_and_the_panel_offers_the_nearest_that_takes_them():
    plan = refs.plan([member("Keeper", 2, 3.0)], "WAN2GP", "t2v_1.3B")
    assert plan.limit == 0 and plan.sent == () and plan.inputs() == {}
    assert plan.wanted and plan.left_out == ("Keeper",)
    assert plan.suggestion == "phantom_1.3B"
    assert plan.messages()[0].startswith("t2v_1.3B takes no reference pictures")
    hunyuan = refs.plan(
        [member("Keeper", 1, 3.0)], "WAVESPEED", "wavespeed-ai/hunyuan-video-1.5/text-to-video"
    )
    assert hunyuan.limit == 0 and hunyuan.suggestion and refs.reference_limit("WAVESPEED", hunyuan.suggestion)


def test_a_wavespeed_family_sends_pictures_through_its_reference_member_unless_a_start_picture_goes_too():
    """Kling 4.0 text-to-video with pictures runs the family's reference-to-video model (roles.py); with a
    start picture the image-to-video model runs, which takes none: then the nearest taker is offered."""
    keeper = [member("Keeper", 1, 3.0)]
    plain = refs.plan(keeper, "WAVESPEED", "kwaivgi/kling-v4.0/text-to-video")
    assert plain.limit == 10 and plain.paths == ("/p/Keeper0.png",)
    started = refs.plan(keeper, "WAVESPEED", "kwaivgi/kling-v4.0/image-to-video", with_start_image=True)
    assert started.limit == 0 and started.wanted and started.suggestion == KLING_REFS


def test_no_limit_sends_every_picture_nearest_member_first_round_by_round():
    members = [member("Far", 2, 9.0), member("Near", 2, 1.0), member("Empty", 0, 0.5)]
    plan = refs.plan(members, "WAN2GP", "phantom_1.3B")
    assert plan.limit is None and not plan.left_out
    assert plan.sent == (
        ("Near", "/p/Near0.png"),
        ("Far", "/p/Far0.png"),
        ("Near", "/p/Near1.png"),
        ("Far", "/p/Far1.png"),
    )
    assert plan.inputs() == {"image_refs": "\n".join(plan.paths)}


@pytest.mark.parametrize(
    ("backend", "model", "limit", "left_out"),
    [
        ("WAN2GP", "ltx2_22B_msr", 5, ("Dog (1 of 3 pictures)",)),
        ("WAVESPEED", KLING_REFS, 10, ()),
    ],
)
def test_more_pictures_than_the_model_takes_keeps_the_nearest(backend, model, limit, left_out):
    plan = refs.plan([member("Dog", 3, 4.0), member("Keeper", 3, 2.0)], backend, model)
    assert plan.limit == limit and plan.left_out == left_out
    assert [m for m, _ in plan.sent][:2] == ["Keeper", "Dog"]
    assert len(plan.sent) == min(limit, 6)
    if left_out:
        assert plan.messages() == [f"{model} takes {limit}: left out Dog (1 of 3 pictures)"]


def test_a_one_person_model_gets_the_nearest_character_even_behind_a_nearer_prop():
    members = [member("Lamp", 1, 1.0, "prop"), member("Keeper", 2, 5.0), member("Wife", 1, 3.0)]
    plan = refs.plan(members, "WAN2GP", "lynx")
    assert plan.sent == (("Wife", "/p/Wife0.png"),)
    assert plan.left_out == ("Keeper", "Lamp")


def test_descriptions_follow_the_prompt_briefly():
    long = "an old man " * 30
    members = [member("Keeper", 0, 1.0, description=long), member("Tower", 0, 2.0, "place", "white tower.")]
    plan = refs.plan(members, "WAN2GP", "t2v_1.3B")
    words = refs.with_cast("A stormy night.", plan)
    assert words.startswith("A stormy night. In this shot: Keeper (character): an old man")
    assert words.endswith("; Tower (place): white tower.")
    assert len(plan.prompt_addition) < 2 * refs.DESCRIPTION_CHARS + 60
    assert refs.with_cast("x", refs.plan([member("A", 1, 1.0)], "WAN2GP", "t2v_1.3B")) == "x"


def test_notes_from_the_cast_reach_the_panel():
    plan = refs.plan(
        [], "WAN2GP", "phantom_1.3B", notes=("Cast member 'Fog' has no objects and no pictures: skipped",)
    )
    assert plan.messages() == ["Cast member 'Fog' has no objects and no pictures: skipped"]


# --- the files -------------------------------------------------------------------------------------------


def _plan_for(path, backend="WAN2GP", model="phantom_1.3B"):
    return refs.plan([Member("Keeper", "character", "", (str(path),), 1.0)], backend, model)


def test_good_pictures_pass(tmp_path):
    good = tmp_path / "keeper.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(good)
    refs.check_pictures(_plan_for(good), "Shot_010")
    refs.check_pictures(_plan_for(good, "WAVESPEED", KLING_REFS), "Shot_010")


def _sparse_png(path, size):
    with path.open("wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 56)
        f.truncate(size)


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing", "does not exist"),
        ("empty", "is empty"),
        ("text", "is not a picture"),
        ("video", "is a MP4 file"),
        ("wan2gp_huge", "larger than the 32 MiB Wan2GP accepts"),
        ("wavespeed_huge", "WaveSpeed accepts"),
        ("wavespeed_webp", "the model takes JPEG, PNG pictures"),
        ("unreadable", "cannot be read"),
    ],
)
def test_a_bad_picture_is_named_with_its_member_before_any_request(tmp_path, case, words):
    backend, model = ("WAVESPEED", KLING_REFS) if case.startswith("wavespeed") else ("WAN2GP", "phantom_1.3B")
    path = tmp_path / f"{case}.png"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("not a picture at all")
    elif case == "video":
        path.write_bytes(b"\0\0\0\x18ftypisom" + b"\0" * 40)
    elif case == "wan2gp_huge":
        _sparse_png(path, refs.WAN2GP_PICTURE_MAX_BYTES + 1)
    elif case == "wavespeed_huge":
        _sparse_png(path, 20_000_001)
    elif case == "wavespeed_webp":
        path.write_bytes(b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 40)
    elif case == "unreadable":
        if not sys.platform.startswith("linux"):
            pytest.skip("needs a file that cannot be read even by root: /proc/self/mem")
        path = "/proc/self/mem"  # a regular file whose first bytes cannot be read (EIO)
    with pytest.raises(ReferenceError) as caught:
        refs.check_pictures(_plan_for(path, backend, model), "Shot_010")
    message = str(caught.value)
    assert words in message
    assert "Shot 'Shot_010'" in message and "cast member 'Keeper'" in message and str(path) in message
    assert caught.value.member == "Keeper" and caught.value.path == str(path)


def test_only_the_pictures_sent_are_checked(tmp_path):
    """A picture the model does not take (t2v) is not read: nothing of it is sent."""
    refs.check_pictures(_plan_for(tmp_path / "missing.png", "WAN2GP", "t2v_1.3B"))
