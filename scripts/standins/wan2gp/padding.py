"""Placeholders that put the stand-in's events and components at the real app's positions.

Gradio names an event after its Python function and suffixes repeats (``save_inputs_16``,
``lambda_49``), numbers events by registration order (``fn_index``) and components by creation order.
WanGP 12.60 registers 647 events on 2194 components; the stand-in registers only the events a client
uses, so it fills the gaps:

* named placeholders (functions called ``validate_wizard_prompt``, ``save_inputs`` and ``<lambda>``)
  so the real events get the real suffixes — always on;
* JS-only placeholder events and hidden ``gr.State`` placeholder components so ``fn_index`` values and
  component ids (state 643, Load Queue button 791, …) match the real ones — off with ``--compact``.

Positions come from the real ``/config`` (shared/wan2gp/real-endpoints.json and wgp-real-endpoints.md).
Where the real names of other events are unknown, placeholder positions are spread evenly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.context import Context

TOTAL_DEPS = 647
TOTAL_COMPONENTS = 2194

# (first index, last index, function name, how many) of named placeholders in the real event list.
NAMED_FILLERS: list[tuple[int, int, str, int]] = [
    (0, 117, "<lambda>", 16),
    (118, 118, "validate_wizard_prompt", 1),
    (119, 119, "save_inputs", 1),
    (120, 188, "validate_wizard_prompt", 5),
    (120, 188, "save_inputs", 5),
    (120, 188, "<lambda>", 10),
    (189, 189, "save_inputs", 1),
    (190, 320, "validate_wizard_prompt", 9),
    (190, 320, "save_inputs", 8),
    (190, 320, "<lambda>", 21),
    (356, 510, "validate_wizard_prompt", 9),
    (356, 510, "save_inputs", 6),
    (511, 511, "save_inputs", 1),
    (512, 646, "validate_wizard_prompt", 9),
    (512, 646, "save_inputs", 11),
]


def named(name: str) -> Callable[..., None]:
    def placeholder(*_args: Any) -> None:
        return None

    placeholder.__name__ = name
    placeholder.__qualname__ = name
    return placeholder


def filler_plan(reserved: set[int]) -> dict[int, str]:
    """Index → placeholder function name, for the indices not taken by real events."""
    plan: dict[int, str] = {}
    for first, last, name, count in NAMED_FILLERS:
        free = [i for i in range(first, last + 1) if i not in reserved and i not in plan]
        if len(free) < count:
            raise RuntimeError(f"no room for {count} {name} placeholders in {first}..{last}")
        stride = len(free) / count
        for k in range(count):
            plan[free[int(k * stride)]] = name
    return plan


class Padder:
    """Creates placeholder components/events; with ``exact=False`` only the named placeholders."""

    def __init__(self, demo: gr.Blocks, exact: bool, dep_offset: int = 0) -> None:
        self.demo = demo
        self.exact = exact
        self.dep_offset = dep_offset
        self.position = 0  # next index in the real event list
        self.trigger = gr.Button(visible=False)

    def components_to(self, target_id: int) -> None:
        if not self.exact:
            return
        if Context.id > target_id:
            raise RuntimeError(f"component id {Context.id} already past target {target_id}")
        while Context.id < target_id:
            gr.State(None)

    def dep_count(self) -> int:
        return self.demo.default_config.fn_id

    def placeholder_event(self, name: str | None) -> None:
        if name is None:
            self.trigger.click(None, None, None, js="() => null", queue=False)
        else:
            self.trigger.click(named(name), None, None, show_progress="hidden")

    def deps_to(self, real_index: int, plan: dict[int, str]) -> None:
        """Fill the real event list up to ``real_index`` (exclusive) with placeholders."""
        while self.position < real_index:
            name = plan.get(self.position)
            if name is not None or self.exact:
                self.placeholder_event(name)
            self.position += 1
        if self.exact and self.dep_count() != real_index + self.dep_offset:
            raise RuntimeError(f"event index {self.dep_count()} != {real_index + self.dep_offset}")

    def advance(self, count: int) -> None:
        """``count`` real events were registered at the current position."""
        self.position += count
