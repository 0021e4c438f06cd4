"""A stand-in for ``bpy.types.UILayout`` that records what a draw function asks for.

Blender only hands out real layouts inside a window's redraw, which the bpy module cannot do headless, so
panel tests pass this instead. It is strict where a real layout would fail at draw time: every method and
keyword must exist on this Blender version's UILayout, icons must be valid icon names, ``prop`` must name a
real property of its data, ``operator`` a registered operator, and the returned operator properties accept
only that operator's own properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass
class Call:
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    owner: RecordingLayout
    result: Any = None

    @property
    def text(self) -> str:
        return str(self.kwargs.get("text", ""))


class OperatorProps:
    """What ``layout.operator()`` returns: only the operator's own properties can be set."""

    def __init__(self, idname: str, names: set[str]) -> None:
        object.__setattr__(self, "_idname", idname)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "values", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._names:
            raise AttributeError(f"operator {self._idname} has no property {name!r}")
        self.values[name] = value


class RecordingLayout:
    def __init__(self, bpy: ModuleType, calls: list[Call] | None = None, path: str = "layout") -> None:
        object.__setattr__(self, "_bpy", bpy)
        object.__setattr__(self, "calls", calls if calls is not None else [])
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "attributes", {})
        rna = bpy.types.UILayout.bl_rna
        object.__setattr__(self, "_functions", rna.functions)
        object.__setattr__(self, "_properties", set(rna.properties.keys()))
        icons = rna.functions["label"].parameters["icon"].enum_items.keys()
        object.__setattr__(self, "_icons", set(icons))

    # -- layout attributes (alert, enabled, scale_y, use_property_split, ...) ----------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._properties:
            raise AttributeError(f"UILayout has no attribute {name!r}")
        self.attributes[name] = value

    def __getattr__(self, name: str) -> Any:
        if name in self._properties:
            return self.attributes.get(name)
        if name not in self._functions:
            raise AttributeError(f"UILayout has no method {name!r} in Blender {self._bpy.app.version_string}")
        return lambda *args, **kwargs: self._record(name, args, kwargs)

    # -- checks ----------------------------------------------------------------------------------
    def _record(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        params = [p.identifier for p in self._functions[name].parameters if not p.is_output]
        unknown = set(kwargs) - set(params)
        if unknown:
            raise TypeError(f"UILayout.{name}() got unknown keyword(s) {sorted(unknown)}")
        if len(args) > len(params):
            raise TypeError(f"UILayout.{name}() takes {len(params)} arguments, got {len(args)}")
        bound = dict(zip(params, args, strict=False)) | kwargs
        icon = bound.get("icon")
        if icon is not None and icon not in self._icons:
            raise ValueError(f"UILayout.{name}(): {icon!r} is not an icon in this Blender")
        call = Call(name, args, bound, self)
        self.calls.append(call)
        if name in ("row", "column", "box", "split", "column_flow", "grid_flow"):
            call.result = RecordingLayout(self._bpy, self.calls, f"{self.path}.{name}")
        elif name in ("prop", "prop_search", "prop_enum"):
            self._check_prop(bound["data"], bound["property"])
        elif name == "operator":
            call.result = self._operator(bound["operator"])
        elif name == "template_list":
            self._check_list(bound)
        return call.result

    def _check_prop(self, data: Any, prop: str) -> None:
        if prop not in data.bl_rna.properties:
            raise AttributeError(f"{data!r} has no property {prop!r}")

    def _operator(self, idname: str) -> OperatorProps:
        module, name = idname.split(".")
        op = getattr(getattr(self._bpy.ops, module), name)
        names = {p.identifier for p in op.get_rna_type().properties if p.identifier != "rna_type"}
        return OperatorProps(idname, names)

    def _check_list(self, kwargs: dict[str, Any]) -> None:
        list_type = kwargs["listtype_name"]
        if not hasattr(self._bpy.types, list_type):
            raise ValueError(f"UIList {list_type!r} is not registered")
        self._check_prop(kwargs["dataptr"], kwargs["propname"])
        self._check_prop(kwargs["active_dataptr"], kwargs["active_propname"])

    # -- queries for tests -----------------------------------------------------------------------
    def find(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def labels(self) -> list[str]:
        return [c.text for c in self.find("label")]

    def operators(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(idname, button text, properties set) per operator button."""
        return [(c.kwargs["operator"], c.text, dict(c.result.values)) for c in self.find("operator")]

    def props(self) -> list[str]:
        return [c.kwargs["property"] for c in self.find("prop")]
