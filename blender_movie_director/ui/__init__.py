"""UI: every ``bpy.types`` class the user sees (preferences, operators, panels, menus).

Each module exposes a ``classes`` tuple that :mod:`..registration` registers. Buttons and panels reach the
layers below through lazily loaded modules, so enabling the extension stays cheap. Main thread only.
"""
