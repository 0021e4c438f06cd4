"""Where a download may go (issue 14, item 7): only http(s), a refused scheme says so and is not retried;
never to an address more internal than the configured server; a server path no file system can hold is
a typed message; a path a server names is never copied from this machine's disk unless it is the
configured local server's own output folder (from today's settings).

The address rule is tested two ways, honestly: on plain data (the classes and the policy, with a resolver
that returns given addresses — no DNS, no network), and end to end against real servers on 127.0.0.1 where
a loopback test can show it: a policy whose configured server is public refuses a download sent to
127.0.0.1 (the first hop and each redirect hop are vetted by the same call), and a redirect to 0.0.0.0
(which reaches this machine on Linux) is refused whatever the server — the logging server behind it hears
nothing. A server that really is public cannot be staged here (the network is 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from blender_movie_director.backend.addresses import (
    AddressClass,
    RefusedTargetError,
    TargetPolicy,
    address_class,
)
from blender_movie_director.backend.bulk_download import Timeouts, open_stream
from blender_movie_director.backend.errors import ServerError
from blender_movie_director.backend.wan2gp.download import ServerFile, fetch_video, local_source
from blender_movie_director.backend.wan2gp.transport import ConnectionSettings
from blender_movie_director.backend.wavespeed.client import WaveSpeedClient
from blender_movie_director.backend.wavespeed.control import Control
from blender_movie_director.backend.wavespeed.download import download_video
from tests.security.hostile import Hostile, Plan

pytestmark = [pytest.mark.security]
FAST = Timeouts(connect=2.0, read=2.0)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", AddressClass.LOOPBACK),
        ("127.9.9.9", AddressClass.LOOPBACK),
        ("::1", AddressClass.LOOPBACK),
        ("::ffff:127.0.0.1", AddressClass.LOOPBACK),
        ("10.1.2.3", AddressClass.PRIVATE),
        ("172.20.0.5", AddressClass.PRIVATE),
        ("192.168.1.40", AddressClass.PRIVATE),
        ("169.254.169.254", AddressClass.PRIVATE),  # cloud metadata: link-local
        ("100.64.0.1", AddressClass.PRIVATE),
        ("fd12:3456::1", AddressClass.PRIVATE),
        ("fe80::1", AddressClass.PRIVATE),
        ("8.8.8.8", AddressClass.PUBLIC),
        ("2606:4700::1111", AddressClass.PUBLIC),
        ("0.0.0.0", None),
        ("0.1.2.3", None),
        ("224.0.0.1", None),
        ("255.255.255.255", None),
        ("::", None),
    ],
)
def test_address_classes(address, expected):
    assert address_class(ipaddress.ip_address(address)) == expected


def _resolver(table):
    return lambda host, port: [ipaddress.ip_address(a) for a in table[host]]


RESOLVE = _resolver(
    {
        "api.example": ["93.184.216.34"],
        "cdn.example": ["93.184.216.35"],
        "gpu.lan": ["192.168.1.40"],
        "nas.lan": ["192.168.1.50"],
        "localhost": ["127.0.0.1", "::1"],
        "rebind.example": ["93.184.216.36", "127.0.0.1"],  # one internal answer is enough to refuse
    }
)


@pytest.mark.parametrize(
    ("server", "target", "allowed"),
    [
        ("https://api.example", "https://cdn.example/v.mp4", True),
        ("https://api.example", "http://gpu.lan/v.mp4", False),
        ("https://api.example", "http://localhost:8000/", False),
        ("https://api.example", "http://rebind.example/", False),
        ("https://api.example", "http://169.254.169.254/latest/meta-data/", False),
        ("https://api.example", "http://2130706433/", False),  # 127.0.0.1 as one number
        ("http://gpu.lan:7860", "http://nas.lan/v.mp4", True),  # a LAN server may name the LAN
        ("http://gpu.lan:7860", "https://cdn.example/v.mp4", True),
        ("http://gpu.lan:7860", "http://localhost/v.mp4", False),  # ... not this machine
        ("http://localhost:7860", "http://127.0.0.1:9/v.mp4", True),  # a local server may name anything
        ("http://localhost:7860", "http://gpu.lan/v.mp4", True),
        ("http://localhost:7860", "http://0.0.0.0:9/", False),  # never a target
    ],
)
def test_the_policy_compares_the_target_with_the_configured_server(server, target, allowed):
    def resolver(host, port):
        if host.isdigit():  # what getaddrinfo makes of a numeric host
            return [ipaddress.ip_address(int(host))]
        if host[0].isdigit():
            return [ipaddress.ip_address(host)]
        return RESOLVE(host, port)

    policy = TargetPolicy.for_server(server, resolver=resolver)
    if allowed:
        assert policy.vet(target)
    else:
        with pytest.raises(RefusedTargetError) as info:
            policy.vet(target, redirected=True)
        assert "refused and not retried" in str(info.value) and "redirected to" in str(info.value)


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/clip.mp4", "gopher://x/"])
def test_a_redirect_to_another_scheme_is_refused_and_not_retried(tmp_path, location):
    with Hostile() as cdn:
        cdn.route("/cdn/", Plan("redirect", location=location))
        client = WaveSpeedClient("sk-test", cdn.url)

        async def go():
            try:
                await download_video(
                    client, f"{cdn.url}/cdn/v.mp4", tmp_path / "v.mp4", Control(timeout=20), task_id="t"
                )
            finally:
                await client.aclose()

        with pytest.raises(RefusedTargetError) as info:
            asyncio.run(go())
        scheme = location.split(":", 1)[0]
        assert f"'{scheme}'" in str(info.value) and "only http and https" in str(info.value)
        assert "broke off" not in str(info.value)
        assert len(cdn.hits) == 1  # not retried
    assert not list(tmp_path.iterdir())


def test_a_redirect_to_this_machine_through_0_0_0_0_is_refused_unheard():
    with Hostile() as inside, Hostile() as cdn:
        inside.route("/", Plan("json", body={"secret": "internal"}))
        cdn.route("/cdn/", Plan("redirect", location=f"http://0.0.0.0:{inside.port}/admin"))
        policy = TargetPolicy.for_server(cdn.url)  # a server on this machine: its class is loopback
        with (
            pytest.raises(RefusedTargetError) as info,
            open_stream(
                f"{cdn.url}/cdn/v.mp4", headers={}, timeouts=FAST, follow_redirects=True, policy=policy
            ),
        ):
            pass
        assert "0.0.0.0" in str(info.value)
        assert inside.hits == []


def test_a_public_servers_download_is_never_sent_to_this_machine():
    """What a WaveSpeed account (a public server) gets when its answer names 127.0.0.1: refused before
    connecting. The policy is the one built for a public configured server; the address is real."""
    with Hostile() as inside:
        inside.route("/", Plan("json", body={"secret": "internal"}))
        policy = TargetPolicy(AddressClass.PUBLIC, server="the configured server (api.wavespeed.ai)")
        with (
            pytest.raises(RefusedTargetError) as info,
            open_stream(f"{inside.url}/outputs/v.mp4", headers={}, timeouts=FAST, policy=policy),
        ):
            pass
        assert "an address on this machine" in str(info.value) and "api.wavespeed.ai" in str(info.value)
        assert inside.hits == []


def test_a_wan2gp_path_over_255_characters_is_a_typed_message(tmp_path):
    with Hostile() as server:
        long_path = "/outputs/" + "a" * 300 + ".mp4"
        with pytest.raises(ServerError) as info:
            fetch_video(ServerFile(path=long_path), ConnectionSettings(url=server.url), tmp_path)
        assert "304 characters" in str(info.value) and "at most 255" in str(info.value)
        assert server.hits == []


def test_a_local_file_named_by_a_server_is_not_copied(tmp_path):
    """A loopback server (or a stored record) names a local file as its output: it is fetched over HTTP,
    never read from this machine's disk; with today's settings naming the server's output folder, only a
    file of that name inside that folder is copied."""
    secret = tmp_path / "private" / "secret.mp4"
    secret.parent.mkdir()
    secret.write_bytes(b"\0\0\0\x18ftypmp42private")
    outputs = tmp_path / "server-outputs"
    outputs.mkdir()
    with Hostile() as server:
        server.route("/gradio_api/file=", Plan("json", status=404, body={"detail": "Not Found"}))
        settings = ConnectionSettings(url=server.url)
        with pytest.raises(ServerError):
            fetch_video(ServerFile(path=str(secret)), settings, tmp_path / "out")
        assert [h.path for h in server.hits] == [f"/gradio_api/file={secret}"]
        # Outside the configured output folder (even with it set), by traversal, or by a link: no.
        assert local_source(ServerFile(path=str(secret)), settings, str(outputs)) is None
        assert local_source(ServerFile(path="../private/secret.mp4"), settings, str(outputs)) is None
        (outputs / "link.mp4").symlink_to(secret)
        assert local_source(ServerFile(path="/x/link.mp4"), settings, str(outputs)) is None
        # Inside it: copied (the server's own path is used for the name only).
        (outputs / "md_1.mp4").write_bytes(b"clip")
        assert local_source(ServerFile(path="/tmp/gradio/abc/md_1.mp4"), settings, str(outputs)) == (
            outputs / "md_1.mp4"
        )
        # A server that is not on this machine: never.
        remote = ConnectionSettings(url="http://192.168.1.40:7860")
        assert local_source(ServerFile(path="/tmp/gradio/abc/md_1.mp4"), remote, str(outputs)) is None
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
