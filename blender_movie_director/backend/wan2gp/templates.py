"""Prompt templates for common shot types: wording, a suggested model and negative prompt.

A template never hides the film-maker's words: it wraps them (``{prompt}``) in camera and lighting language
that the Wan-family models follow well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_DEFAULT_NEGATIVE = (
    "blurry, low quality, distorted faces, extra limbs, watermark, text, jittery motion, flickering"
)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    description: str
    pattern: str  # contains "{prompt}"
    model: str
    negative_prompt: str = _DEFAULT_NEGATIVE

    def apply(self, prompt: str) -> str:
        return self.pattern.format(prompt=prompt.strip())


PROMPT_TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in (
        PromptTemplate(
            "character_focus",
            "Close-up or medium shot that keeps one character sharp and expressive.",
            "Cinematic close-up, shallow depth of field, the subject in sharp focus: {prompt}. "
            "Natural skin tones, soft key light, subtle facial expression, steady camera.",
            model="t2v_2_2",
        ),
        PromptTemplate(
            "establishing_shot",
            "Wide shot that shows where the scene takes place.",
            "Wide establishing shot, slow aerial push-in, epic scale: {prompt}. "
            "Atmospheric perspective, golden-hour light, highly detailed environment.",
            model="t2v_2_2",
        ),
        PromptTemplate(
            "action_sequence",
            "Fast movement with a camera that follows it.",
            "Dynamic tracking shot, fast motion, motion blur on the background: {prompt}. "
            "Energetic camera movement, dramatic lighting.",
            model="t2v_1.3B",
        ),
        PromptTemplate(
            "dialogue",
            "Two-shot or over-the-shoulder conversation.",
            "Over-the-shoulder medium shot, eye-level camera, natural conversation: {prompt}. "
            "Soft practical lighting, static camera.",
            model="t2v_1.3B",
        ),
        PromptTemplate(
            "product_shot",
            "Object on a clean background with a slow orbit.",
            "Studio product shot, slow 360 degree orbit, clean seamless background: {prompt}. "
            "Crisp reflections, softbox lighting.",
            model="t2v_1.3B",
        ),
        PromptTemplate(
            "preview",
            "Rough, fast draft for blocking a scene.",
            "{prompt}",
            model="ltxv_distilled",
            negative_prompt="",
        ),
    )
}


def apply_template(name: str, prompt: str) -> dict[str, Any]:
    """Settings (``prompt``, ``negative_prompt``, ``model``) for ``prompt`` in the named template.

    Raises ``KeyError`` naming the known templates when ``name`` is not one of them.
    """
    try:
        template = PROMPT_TEMPLATES[name]
    except KeyError:
        raise KeyError(
            f"Unknown prompt template '{name}'. Known: {', '.join(sorted(PROMPT_TEMPLATES))}"
        ) from None
    return {
        "prompt": template.apply(prompt),
        "negative_prompt": template.negative_prompt,
        "model": template.model,
    }


class Wan2GPConfigTemplates:
    """The design notes' name for the templates (``Wan2GPConfigTemplates.apply_template(name, prompt)``):
    a thin name over :data:`PROMPT_TEMPLATES` and :func:`apply_template`, nothing of its own."""

    TEMPLATES = PROMPT_TEMPLATES
    apply_template = staticmethod(apply_template)

    @staticmethod
    def names() -> list[str]:
        """The template names, sorted."""
        return sorted(PROMPT_TEMPLATES)
