"""The questionnaire file (SPEC §4): scale, constructs and items with their direction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import warnings

from pydantic import model_validator

from evalkit.errors import Problem, display_path
from evalkit.yamlfile import StrictModel, line_of, load_model


class Scale(StrictModel):
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> "Scale":
        if self.max <= self.min:
            raise ValueError(f"scale max ({self.max}) must be greater than min ({self.min})")
        return self


class Construct(StrictModel):
    label: str


with warnings.catch_warnings():
    # ``construct`` is the SPEC's key name; it shadows a deprecated pydantic method, harmlessly.
    warnings.filterwarnings("ignore", message='Field name "construct"', category=UserWarning)

    class Item(StrictModel):
        """One question of the questionnaire."""

        construct: str  # type: ignore[assignment]
        group: Literal["staff", "client"]
        label: str
        reverse: bool = False
        #: The standard code the question is about (e.g. ``DB31/T 1000-2016``), for the
        #: ``standard.awareness_rate`` metric; None for questions about no one standard.
        standard: str | None = None


class QuestionnaireModel(StrictModel):
    id: str
    title: str = ""
    scale: Scale
    constructs: dict[str, Construct]
    items: dict[str, Item]


@dataclass(frozen=True)
class Questionnaire:
    """A parsed questionnaire. ``items`` keeps the file's order."""

    id: str
    title: str
    scale_min: int
    scale_max: int
    constructs: dict[str, Construct]
    items: dict[str, Item]
    path: Path

    def items_of(self, construct: str) -> list[str]:
        """Item columns measuring ``construct``, in file order."""
        return [name for name, item in self.items.items() if item.construct == construct]

    @property
    def reversed_items(self) -> list[str]:
        return [name for name, item in self.items.items() if item.reverse]


def load_questionnaire(path: Path) -> tuple[Questionnaire | None, list[Problem]]:
    """Parse and check a questionnaire file: it (None when it cannot be built or is wrong)
    and the problems found; as :func:`evalkit.scheme.load_scheme`, misspelt keys alone
    leave the questionnaire usable for the campaign's other checks."""
    file = display_path(path)
    model, data, problems = load_model(path, QuestionnaireModel)
    if model is None:
        return None, problems
    misspelt = len(problems)
    for name, item in model.items.items():
        if item.construct not in model.constructs:
            line, _ = line_of(data, ("items", name, "construct"))
            known = ", ".join(model.constructs)
            problems.append(Problem(file, line, name, f"unknown construct '{item.construct}' (constructs: {known})"))
    if not model.items:
        problems.append(Problem(file, line_of(data, ("items",))[0], "items", "the questionnaire has no items"))
    if len(problems) > misspelt:
        return None, problems
    return (
        Questionnaire(
            id=model.id,
            title=model.title,
            scale_min=model.scale.min,
            scale_max=model.scale.max,
            constructs=dict(model.constructs),
            items=dict(model.items),
            path=path,
        ),
        problems,
    )
