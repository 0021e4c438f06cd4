"""Add-on preferences (UI): where the servers are, the keys, where results go, and how hard to push.

Secrets (the WaveSpeed key, the Wan2GP password) live here as password fields or in environment variables.
Preferences are stored in Blender's user preferences, never in a .blend file, and are read at submit time
through :mod:`..scene.config`. Also the Test Connection button. Main thread only (Blender UI classes).
"""

from __future__ import annotations

import os

import bpy
from bpy.props import EnumProperty, FloatProperty, IntProperty, StringProperty

from ..scene.catalogs import BACKEND_LABELS, WAN2GP_CREDIT
from ..scene.config import (
    ADDON_PACKAGE,
    CONNECTION_TIMEOUT,
    DEFAULT_OUTPUT_FOLDER,
    DEFAULT_WAN2GP_URL,
    DEFAULT_WAVESPEED_BASE_URL,
    DOWNLOAD_LIMIT_MB,
    get_preferences,
)

#: "//" (beside the .blend) is the default output folder; 4.5+ needs this flag to accept it without a warning.
_BLEND_RELATIVE = {"PATH_SUPPORTS_BLEND_RELATIVE"} if bpy.app.version >= (4, 5, 0) else set()


def _limits_changed(self: MOVIEDIR_AddonPreferences, context: bpy.types.Context) -> None:
    from ..session import engine

    engine.apply_limits(self)


class MOVIEDIR_AddonPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    wan2gp_url: StringProperty(
        name="Wan2GP Server",
        description=(
            "Address of your Wan2GP web server; several addresses separated by commas share the work. "
            "Empty: the WAN2GP_URL environment variable, else " + DEFAULT_WAN2GP_URL
        ),
        default="",
    )
    wan2gp_transport: EnumProperty(
        name="Wan2GP Transport",
        description="Which of WanGP's surfaces Movie Director talks to",
        items=(
            ("AUTO", "Auto", "From the address: one ending in /mcp is WanGP's MCP server, else asked"),
            ("WEB_UI", "Web UI", "WanGP's web interface (wgp.py): any WanGP version, no LoRA list or Finish"),
            (
                "MCP",
                "MCP",
                "WanGP's MCP server (wgp.py --mcp, WanGP 12+): which models the server has, LoRAs, Finish",
            ),
        ),
        default="AUTO",
    )
    wan2gp_username: StringProperty(
        name="Wan2GP Login", description="User name, if the server was started with a login", default=""
    )
    wan2gp_password: StringProperty(
        name="Wan2GP Password",
        description="Password, if the server was started with a login",
        default="",
        subtype="PASSWORD",
    )
    wavespeed_api_key: StringProperty(
        name="WaveSpeed API Key",
        description="Your WaveSpeed key. Empty: the WAVESPEED_API_KEY environment variable",
        default="",
        subtype="PASSWORD",
    )
    wavespeed_base_url: StringProperty(
        name="WaveSpeed Address",
        description="Empty: the WAVESPEED_BASE_URL environment variable, else " + DEFAULT_WAVESPEED_BASE_URL,
        default="",
    )
    output_folder: StringProperty(
        name="Output Folder",
        description=(
            "Where generated clips and job records are written. '//' means beside the .blend file; "
            "unsaved files use the extension's own user folder"
        ),
        default=DEFAULT_OUTPUT_FOLDER,
        subtype="DIR_PATH",
        options=_BLEND_RELATIVE,
    )
    wan2gp_concurrency: IntProperty(
        name="Wan2GP Jobs at Once",
        description="Jobs run at the same time per Wan2GP server (one per GPU)",
        default=1,
        min=1,
        max=8,
        update=_limits_changed,
    )
    wavespeed_concurrency: IntProperty(
        name="WaveSpeed Jobs at Once",
        description=(
            "WaveSpeed jobs run at the same time. Accounts with lower limits are handled: submits "
            "beyond the account's rate (Bronze: 2 videos a minute) wait their turn"
        ),
        default=8,
        min=1,
        max=32,
        update=_limits_changed,
    )
    request_timeout: FloatProperty(
        name="Request Timeout",
        description="Seconds to wait for one answer from a server",
        default=60.0,
        min=5.0,
        max=600.0,
        unit="TIME_ABSOLUTE",
    )
    job_deadline_minutes: FloatProperty(
        name="Job Deadline",
        description="Minutes after which a job that has not finished is failed",
        default=60.0,
        min=1.0,
        max=24 * 60.0,
    )
    download_limit_mb: IntProperty(
        name="Download Limit",
        description=(
            "Largest clip, in MB, accepted from a server: a download that grows past it is stopped and "
            "the shot says so (a 10 s 1080p clip is about 20 MB)"
        ),
        default=DOWNLOAD_LIMIT_MB,
        min=16,
        max=64 * 1024,
    )

    confirm_batch_above: FloatProperty(
        name="Confirm Batches Above ($)",
        description=(
            "Preview All / Final All show the batch's estimated cost and ask before queueing it when it is "
            "above this many dollars or unknown. Scripts are never asked"
        ),
        default=1.0,
        min=0.0,
        soft_max=100.0,
        precision=2,
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.use_property_split = True
        col = layout.column(heading=BACKEND_LABELS["WAN2GP"])
        col.prop(self, "wan2gp_url")
        col.label(text=f"In use: {self.effective_wan2gp_url()}")
        col.prop(self, "wan2gp_transport")
        col.prop(self, "wan2gp_username")
        col.prop(self, "wan2gp_password")
        col.prop(self, "wan2gp_concurrency")
        col.label(text=WAN2GP_CREDIT, icon="INFO")
        col = layout.column(heading=BACKEND_LABELS["WAVESPEED"])
        col.prop(self, "wavespeed_api_key")
        if not self.wavespeed_api_key:
            key_state = "set in WAVESPEED_API_KEY" if os.environ.get("WAVESPEED_API_KEY") else "not set"
            col.label(text=f"Key: {key_state}")
        col.prop(self, "wavespeed_base_url")
        col.prop(self, "wavespeed_concurrency")
        col = layout.column(heading="Jobs")
        col.prop(self, "output_folder")
        col.prop(self, "request_timeout")
        col.prop(self, "job_deadline_minutes")
        col.prop(self, "download_limit_mb")
        col.prop(self, "confirm_batch_above")
        draw_connection(layout)

    def effective_wan2gp_url(self) -> str:
        return self.wan2gp_url.strip() or os.environ.get("WAN2GP_URL", "").strip() or DEFAULT_WAN2GP_URL

    def wan2gp_urls(self) -> tuple[str, ...]:
        """Every Wan2GP server in use (the setting may list several, separated by commas)."""
        return tuple(u.strip() for u in self.effective_wan2gp_url().split(",") if u.strip())

    def wan2gp_limit(self) -> int:
        """Jobs at once on Wan2GP: the per-server setting times the number of servers."""
        return self.wan2gp_concurrency * max(1, len(self.wan2gp_urls()))

    def effective_wavespeed_base_url(self) -> str:
        return (
            self.wavespeed_base_url.strip()
            or os.environ.get("WAVESPEED_BASE_URL", "").strip()
            or DEFAULT_WAVESPEED_BASE_URL
        )

    def effective_wavespeed_api_key(self) -> str:
        """Read at submit time only; the value is never stored anywhere else."""
        return self.wavespeed_api_key or os.environ.get("WAVESPEED_API_KEY", "")


def draw_connection(layout: bpy.types.UILayout) -> None:
    """The Test Connection button and each backend's last answer."""
    from ..scene import shots
    from ..session import connection

    box = layout.box()
    row = box.row()
    row.operator(MOVIEDIR_OT_test_connection.bl_idname, icon="URL")
    offline = shots.offline_reason()
    if offline:
        box.label(text=offline, icon="ERROR")
    for backend, label in BACKEND_LABELS.items():
        state = connection.results().get(backend)
        if state is None:
            continue
        icon = "TIME" if state.ok is None else "CHECKMARK" if state.ok else "ERROR"
        box.label(text=f"{label}: {state.text}", icon=icon)


class MOVIEDIR_OT_test_connection(bpy.types.Operator):
    """Ask each backend whether it answers with these settings (Wan2GP server, WaveSpeed key)"""

    bl_idname = "moviedir.test_connection"
    bl_label = "Test Connection"
    bl_options = {"INTERNAL"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        from ..scene import shots
        from ..session import connection

        offline = shots.offline_reason()
        if offline:
            cls.poll_message_set(offline)
            return False
        if connection.running():
            cls.poll_message_set("A connection test is already running")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        from ..session import connection

        prefs = get_preferences(context)
        connection.start(
            wan2gp_urls=prefs.wan2gp_urls(),
            username=prefs.wan2gp_username,
            password=prefs.wan2gp_password,
            wavespeed_key=prefs.effective_wavespeed_api_key(),
            wavespeed_url=prefs.effective_wavespeed_base_url(),
            timeout=min(CONNECTION_TIMEOUT, prefs.request_timeout),
        )
        self.report({"INFO"}, "Testing the connections; the answers appear below the button")
        return {"FINISHED"}


classes = (MOVIEDIR_AddonPreferences, MOVIEDIR_OT_test_connection)
