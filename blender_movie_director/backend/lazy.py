"""Imports deferred to first use.

:func:`lazy_exports`: package attributes that import their module on first access (PEP 562), so importing a
backend package stays cheap until a name that needs httpx, gradio_client or pydantic is used.
:func:`lazy_module`: a module object whose code runs on its first attribute access (stdlib ``LazyLoader``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_exports(package: str, namespace: dict[str, Any], exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps a name to the (relative) module defining it.

    The value is cached in ``namespace`` (the package's globals) after the first access.
    """

    def load(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        relative = module if module.startswith(".") else f".{module}"
        value = getattr(importlib.import_module(relative, package), name)
        namespace[name] = value
        return value

    return load


def lazy_module(name: str, package: str | None = None) -> ModuleType:
    """The module ``name`` (relative to ``package``), executed on its first attribute access.

    For the Blender layer's class modules: enabling the extension defines and registers classes, and the
    modules their buttons and panels call into load when a button or panel first runs. Main thread only
    (3.11's ``LazyLoader`` has no lock).
    """
    fullname = importlib.util.resolve_name(name, package) if name.startswith(".") else name
    module = sys.modules.get(fullname)
    if module is not None:
        return module
    spec = importlib.util.find_spec(fullname)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[fullname] = module
    loader.exec_module(module)
    parent, _, child = fullname.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


def loaded(name: str) -> ModuleType | None:
    """The module ``name`` if its code has run: one bound by :func:`lazy_module` and never used is not.

    ``type()`` is read, not ``__class__``: any attribute of a pending lazy module would run it.
    """
    module = sys.modules.get(name)
    if module is None or type(module).__name__ == "_LazyModule":
        return None
    return module
