"""Find the Wan2GP endpoints this client needs in a live Gradio ``/config``.

WanGP has no designed Gradio API: every event gets an automatic name (``process_tasks_1``…) that shifts
whenever WanGP registers listeners in a different order, adds a tab or a plugin. So names are never hard-coded
here. Instead the client reads ``/config`` once per server and finds:

* the Load Queue upload listener: a ``load_queue_action`` listener triggered by an ``UploadButton``'s
  ``upload`` event (that button's component id is the ``trigger_id`` WanGP needs to read the file);
* the steps that follow it (``.then`` chain, via ``trigger_after``): ``init_process_queue_if_any``,
  ``activate_status``, ``process_tasks``, ``finalize_generation_with_state``, ``unload_model_if_needed``;
* ``refresh_status_async``, the status generator triggered by the component ``activate_status`` writes;
* ``abort_generation`` (button click, and the hidden client-id textbox variant) and ``clear_queue_action``
  in the same tab as the upload button.

What cannot be found, or no longer has the expected shape, goes into a drift report, and the whole report
becomes one :class:`UnsupportedServerError` ("this Wan2GP version is not supported: …").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import UnsupportedServerError

_SUFFIX = re.compile(r"_\d+$")
_WANGP_VERSION = re.compile(r"Wan\s*(?:<[^>]*>)?\s*GP\s*(?:</[^>]*>)?\s*v(\d+(?:\.\d+)+)", re.IGNORECASE)
SUPPORTED_GRADIO_MAJORS = (5, 6)


@dataclass(frozen=True)
class EndpointRef:
    """One Gradio listener: its ``fn_index`` (dependency id) and its current automatic name."""

    fn_index: int
    api_name: str

    @property
    def route(self) -> str:
        return "/" + self.api_name


@dataclass(frozen=True)
class Wan2GPEndpoints:
    """Everything the client calls, found in one server's ``/config``."""

    load_queue: EndpointRef
    upload_trigger_id: int
    init_queue: EndpointRef
    activate_status: EndpointRef
    process_tasks: EndpointRef
    finalize: EndpointRef
    abort: EndpointRef
    clear_queue: EndpointRef
    abort_by_client_id: EndpointRef | None = None
    refresh_status: EndpointRef | None = None
    unload: EndpointRef | None = None
    gradio_version: str = ""
    wan2gp_version: str | None = None
    fingerprint: str = ""
    #: Differences that do not stop the client (e.g. no status stream: no live progress).
    warnings: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        roles = ("load_queue", "init_queue", "activate_status", "process_tasks", "finalize", "abort",
                 "abort_by_client_id", "clear_queue", "refresh_status", "unload")  # fmt: skip
        out: dict[str, Any] = {}
        for role in roles:
            ref = getattr(self, role)
            out[role] = None if ref is None else f"{ref.route} (fn_index {ref.fn_index})"
        out["upload_trigger_id"] = self.upload_trigger_id
        return out


@dataclass
class DriftReport:
    """What this client expected of the server and did not find."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, gradio_version: str, wan2gp_version: str | None) -> UnsupportedServerError:
        seen = f"WanGP {wan2gp_version}" if wan2gp_version else "an unknown WanGP version"
        return UnsupportedServerError(
            f"This Wan2GP version is not supported: {'; '.join(self.problems)}. "
            f"(Server: {seen} on gradio {gradio_version or 'unknown'}; Movie Director drives WanGP 12.x "
            "on gradio 5 or 6 through its Load Queue button.)"
        )


class _Config:
    """Read-only helpers over a Gradio ``/config`` dict."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.raw = config
        self.components: dict[int, Mapping[str, Any]] = {
            int(c["id"]): c for c in config.get("components", []) if "id" in c
        }
        self.deps: list[Mapping[str, Any]] = []
        for index, dep in enumerate(config.get("dependencies", [])):
            self.deps.append({**dep, "id": int(dep.get("id", index))})
        self.by_id = {dep["id"]: dep for dep in self.deps}
        self.children: dict[int, list[Mapping[str, Any]]] = {}
        for dep in self.deps:
            after = dep.get("trigger_after")
            if after is not None:
                self.children.setdefault(int(after), []).append(dep)
        self.parents = self._layout_parents(config.get("layout"))

    @staticmethod
    def _layout_parents(layout: Any) -> dict[int, int]:
        parents: dict[int, int] = {}
        stack = [layout] if isinstance(layout, Mapping) else []
        while stack:
            node = stack.pop()
            for child in node.get("children", []) or []:
                if isinstance(child, Mapping) and "id" in child:
                    parents[int(child["id"])] = int(node.get("id", -1))
                    stack.append(child)
        return parents

    def ctype(self, component_id: int | None) -> str:
        if component_id is None:
            return ""
        return str(self.components.get(int(component_id), {}).get("type", "")).lower()

    @staticmethod
    def base_name(dep: Mapping[str, Any]) -> str:
        name = dep.get("api_name")
        return _SUFFIX.sub("", name) if isinstance(name, str) else ""

    @staticmethod
    def callable(dep: Mapping[str, Any]) -> bool:
        if not isinstance(dep.get("api_name"), str):
            return False
        return dep.get("api_visibility", "public") != "private"

    def named(self, base: str) -> list[Mapping[str, Any]]:
        return [d for d in self.deps if self.base_name(d) == base and self.callable(d)]

    @staticmethod
    def targets(dep: Mapping[str, Any]) -> list[tuple[int | None, str]]:
        out = []
        for target in dep.get("targets", []) or []:
            if isinstance(target, (list, tuple)) and len(target) == 2:
                out.append((None if target[0] is None else int(target[0]), str(target[1])))
        return out

    def api_inputs(self, dep: Mapping[str, Any]) -> list[str]:
        """Component types of the inputs a client sends (``State`` inputs are filled in by the server)."""
        return [self.ctype(i) for i in dep.get("inputs", []) if self.ctype(i) != "state"]

    def descendants(self, dep_id: int) -> list[Mapping[str, Any]]:
        """The ``.then`` chain after ``dep_id``, in order."""
        chain, frontier, seen = [], [dep_id], {dep_id}
        while frontier:
            nxt = []
            for parent in frontier:
                for child in sorted(self.children.get(parent, []), key=lambda d: d["id"]):
                    if child["id"] not in seen:
                        seen.add(child["id"])
                        chain.append(child)
                        nxt.append(child["id"])
            frontier = nxt
        return chain

    def tab_of(self, component_id: int | None) -> int | None:
        """The nearest enclosing tab (``tabitem``) of a component, when the layout says."""
        node = component_id
        for _ in range(200):
            if node is None or node not in self.parents:
                return None
            node = self.parents[node]
            if self.ctype(node) in ("tabitem", "tab"):
                return node
        return None


def _ref(dep: Mapping[str, Any]) -> EndpointRef:
    return EndpointRef(fn_index=int(dep["id"]), api_name=str(dep["api_name"]))


def _pick_same_tab(cfg: _Config, candidates: Iterable[Mapping[str, Any]], tab: int | None) -> Mapping | None:
    """The candidate in ``tab`` (by its trigger component), else the first registered one.

    WanGP builds the "Media Generator" tab before the hidden "Edit" tab, so without layout information the
    first registered listener is the main tab's.
    """
    ordered = sorted(candidates, key=lambda d: d["id"])
    if tab is not None:
        for dep in ordered:
            if any(cfg.tab_of(cid) == tab for cid, _ in cfg.targets(dep)):
                return dep
    return ordered[0] if ordered else None


def gradio_version(config: Mapping[str, Any]) -> str:
    return str(config.get("version", "") or "")


def wan2gp_version(config: Mapping[str, Any]) -> str | None:
    """WanGP's version from its page header (``Wan<sup>GP</sup> v12.60``), when the page shows it."""
    for component in config.get("components", []):
        value = (component.get("props") or {}).get("value")
        if isinstance(value, str) and "GP" in value:
            match = _WANGP_VERSION.search(value)
            if match:
                return match.group(1)
    return None


def discover(config: Mapping[str, Any]) -> Wan2GPEndpoints:
    """Find the endpoints in ``config`` or raise one :class:`UnsupportedServerError` listing every gap."""
    cfg = _Config(config)
    report = DriftReport()
    g_version, w_version = gradio_version(config), wan2gp_version(config)
    major = _major(g_version)
    if major is not None and major not in SUPPORTED_GRADIO_MAJORS:
        report.problems.append(f"gradio {g_version} (supported: gradio 5.x and 6.x)")
    if not cfg.deps:
        report.problems.append("the server lists no Gradio events at all (is this a Wan2GP web UI?)")
        raise report.error(g_version, w_version)

    load, trigger_id = _find_load(cfg, report)
    chain = cfg.descendants(load["id"]) if load is not None else []

    def step(*bases: str) -> Mapping[str, Any] | None:
        for base in bases:
            found = [d for d in chain if cfg.base_name(d) == base and cfg.callable(d)]
            if found:
                return found[0]
        if load is not None:
            report.problems.append(f"no '{bases[0]}' step after load_queue_action")
        return None

    init = step("init_process_queue_if_any")
    activate = step("activate_status")
    process = step("process_tasks")
    finalize = step("finalize_generation_with_state", "finalize_generation")
    unload = next((d for d in chain if cfg.base_name(d) == "unload_model_if_needed"), None)
    for dep, label in ((init, "init_process_queue_if_any"), (activate, "activate_status"),
                       (process, "process_tasks"), (finalize, "finalize_generation_with_state")):  # fmt: skip
        if dep is not None and cfg.api_inputs(dep):
            report.problems.append(
                f"{dep['api_name']} now takes inputs {cfg.api_inputs(dep)} ({label} took none)"
            )
    if process is not None and not (process.get("types") or {}).get("generator", False):
        report.warnings.append(f"{process['api_name']} is no longer a generator")

    refresh = _find_refresh(cfg, activate, report)
    tab = cfg.tab_of(trigger_id)
    abort, abort_by_id = _find_abort(cfg, tab, report)
    clear = _pick_same_tab(cfg, [d for d in cfg.named("clear_queue_action") if not cfg.api_inputs(d)], tab)
    if clear is None:
        report.problems.append("no 'clear_queue_action' listener without inputs")

    if report.problems:
        raise report.error(g_version, w_version)
    assert load is not None and trigger_id is not None and init and activate and process and finalize
    assert abort is not None and clear is not None
    endpoints = {
        "load_queue": _ref(load),
        "init_queue": _ref(init),
        "activate_status": _ref(activate),
        "process_tasks": _ref(process),
        "finalize": _ref(finalize),
        "abort": _ref(abort),
        "clear_queue": _ref(clear),
        "abort_by_client_id": _ref(abort_by_id) if abort_by_id else None,
        "refresh_status": _ref(refresh) if refresh else None,
        "unload": _ref(unload) if unload else None,
    }
    fingerprint = _fingerprint(g_version, trigger_id, endpoints)
    return Wan2GPEndpoints(
        upload_trigger_id=trigger_id,
        gradio_version=g_version,
        wan2gp_version=w_version,
        fingerprint=fingerprint,
        warnings=tuple(report.warnings),
        **endpoints,  # type: ignore[arg-type]
    )


def _find_load(cfg: _Config, report: DriftReport) -> tuple[Mapping[str, Any] | None, int | None]:
    loads = cfg.named("load_queue_action")
    if not loads:
        report.problems.append("no 'load_queue_action' listener (the Load Queue button is gone or renamed)")
        return None, None
    for dep in sorted(loads, key=lambda d: d["id"]):
        uploads = [
            cid for cid, event in cfg.targets(dep) if event == "upload" and cfg.ctype(cid) == "uploadbutton"
        ]
        if not uploads:
            continue
        inputs = cfg.api_inputs(dep)
        if inputs != ["uploadbutton"]:
            report.problems.append(
                f"{dep['api_name']} takes {inputs or 'no inputs'} instead of one uploaded file"
            )
            return None, None
        if not dep.get("collects_event_data", True):
            report.warnings.append(f"{dep['api_name']} no longer reads the event that triggered it")
        return dep, uploads[0]
    report.problems.append("no 'load_queue_action' listener is triggered by an upload button")
    return None, None


def _find_refresh(
    cfg: _Config, activate: Mapping[str, Any] | None, report: DriftReport
) -> Mapping[str, Any] | None:
    candidates = [d for d in cfg.named("refresh_status_async") if not cfg.api_inputs(d)]
    if activate is not None:
        written = {int(o) for o in activate.get("outputs", [])}
        for dep in sorted(candidates, key=lambda d: d["id"]):
            if any(cid in written and event == "change" for cid, event in cfg.targets(dep)):
                return dep
    if candidates:
        report.warnings.append("status stream found by name only (not linked to activate_status)")
        return sorted(candidates, key=lambda d: d["id"])[0]
    report.warnings.append("no 'refresh_status_async' listener: progress will show elapsed time only")
    return None


def _find_abort(
    cfg: _Config, tab: int | None, report: DriftReport
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    aborts = cfg.named("abort_generation")
    plain = _pick_same_tab(cfg, [d for d in aborts if not cfg.api_inputs(d)], tab)
    by_id = _pick_same_tab(cfg, [d for d in aborts if cfg.api_inputs(d) == ["textbox"]], tab)
    if plain is None:
        report.problems.append("no 'abort_generation' listener without inputs (the Abort button)")
    if by_id is None:
        report.warnings.append("no abort-by-client-id listener: abort uses the Abort button only")
    return plain, by_id


def _major(version: str) -> int | None:
    match = re.match(r"(\d+)", version)
    return int(match.group(1)) if match else None


def _fingerprint(g_version: str, trigger_id: int, endpoints: Mapping[str, EndpointRef | None]) -> str:
    data = {
        "gradio": g_version,
        "trigger": trigger_id,
        **{k: None if v is None else [v.fn_index, v.api_name] for k, v in endpoints.items()},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
