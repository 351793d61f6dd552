"""The questionnaire file: scale, answer sets, constructs and items with their direction.

Besides the scale and the items (``docs/importing.md`` shows files of both kinds), a
questionnaire may declare named answer sets (``options``: answer text -> value, in the
order the questionnaire shows them), the answers read as blank (``missing``) and, per
item, the answer set it uses and the exact column title it has in a platform's export
(``column``). An item's scale is its answer set's lowest to highest value, else the
questionnaire's ``scale``; 3-, 4- and 5-point items may so share a construct.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from evalkit.errors import Problem, display_path
from evalkit.yamlfile import StrictModel, line_of, load_model


class Scale(StrictModel):
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"scale max ({self.max}) must be greater than min ({self.min})")
        return self


class Construct(StrictModel):
    label: str


with warnings.catch_warnings():
    # ``construct`` is the questionnaire file's key (docs/data.md); it shadows a deprecated pydantic method, harmlessly.
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
        #: The name of the item's answer set in ``options`` (None: answers are scale points).
        options: str | None = None
        #: The item's column title in the survey file, when it is neither the item's id nor
        #: its label after the question number.
        column: str | None = None


#: Answers read as blank unless the questionnaire says otherwise: 问卷星 writes ``(跳过)``
#: (skipped by the questionnaire's logic) and ``(空)`` (left empty) in its text download,
#: and -3 and -2 for the same in its download by option number.
DEFAULT_MISSING = ("(跳过)", "(空)", "-3", "-2")


class QuestionnaireModel(StrictModel):
    id: str
    title: str = ""
    scale: Scale | None = None
    options: dict[str, dict[str, int]] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=lambda: list(DEFAULT_MISSING))
    constructs: dict[str, Construct]
    items: dict[str, Item]


@dataclass(frozen=True)
class Questionnaire:
    """A parsed questionnaire. ``items`` keeps the file's order.

    ``scale_min`` and ``scale_max`` are the questionnaire's ``scale`` (without one: the
    lowest and highest value of any answer set); each item's own scale is
    :meth:`item_scale`. ``options`` maps each answer set's name to its (answer text,
    value) pairs in the order shown; ``missing`` are the answers read as blank.
    """

    id: str
    title: str
    scale_min: int
    scale_max: int
    constructs: dict[str, Construct]
    items: dict[str, Item]
    path: Path
    options: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    missing: tuple[str, ...] = DEFAULT_MISSING

    def items_of(self, construct: str) -> list[str]:
        """Item columns measuring ``construct``, in file order."""
        return [name for name, item in self.items.items() if item.construct == construct]

    @property
    def reversed_items(self) -> list[str]:
        return [name for name, item in self.items.items() if item.reverse]

    def answers_of(self, item: str) -> tuple[tuple[str, int], ...]:
        """The item's answer set as (text, value) pairs in the order shown; () for an item
        answered with scale points."""
        name = self.items[item].options
        return () if name is None else self.options[name]

    def item_scale(self, item: str) -> tuple[int, int]:
        """The item's lowest and highest answer value: its answer set's, else the scale's."""
        answers = self.answers_of(item)
        if not answers:
            return self.scale_min, self.scale_max
        values = [value for _, value in answers]
        return min(values), max(values)

    def column_items(self, headers: Iterable[str]) -> dict[str, list[str]]:
        """For each header (of a survey file) the items it is the column of: an item's id,
        its ``column``, or its ``label`` once a leading question number (``3、``, ``Q3.``,
        ``3.``) is removed. Headers of no item are left out; a header listing two items,
        or two headers listing one item, is for the caller to report."""
        by_text: dict[str, list[str]] = {}
        for name, item in self.items.items():
            texts = {name, item.label} if item.column is None else {name, item.column}
            for text in texts:
                by_text.setdefault(text.strip(), []).append(name)
        matched = {}
        for header in headers:
            text = str(header).strip()
            items = by_text.get(text) or by_text.get(QUESTION_NUMBER.sub("", text).strip())
            if items:
                matched[header] = items
        return matched


#: A question number before a question's title in a platform's export: ``3、``, ``Q3.``,
#: ``3.``, ``Q3:`` (问卷星 writes ``3、``, 腾讯问卷 ``Q3:`` / ``3.``).
QUESTION_NUMBER = re.compile(r"^\s*[Qq]?\d+\s*[、.．:：]\s*")


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
        if item.options is not None and item.options not in model.options:
            line, _ = line_of(data, ("items", name, "options"))
            known = ", ".join(model.options) or "none declared"
            problems.append(Problem(file, line, name, f"unknown answer set '{item.options}' (options: {known})"))
        if item.options is None and model.scale is None:
            line, _ = line_of(data, ("items", name))
            problems.append(Problem(file, line, name, "the item has no options and the questionnaire no scale: "
                                                      "give it an answer set (options: NAME) or add scale: {min, max}"))
    problems += _option_problems(model, data, file)
    if not model.items:
        problems.append(Problem(file, line_of(data, ("items",))[0], "items", "the questionnaire has no items"))
    if len(problems) > misspelt:
        return None, problems
    options = {name: tuple((text.strip(), value) for text, value in answers.items())
               for name, answers in model.options.items()}
    values = [value for answers in options.values() for _, value in answers]
    low, high = (model.scale.min, model.scale.max) if model.scale is not None else (min(values), max(values))
    return (
        Questionnaire(
            id=model.id,
            title=model.title,
            scale_min=low,
            scale_max=high,
            constructs=dict(model.constructs),
            items=dict(model.items),
            path=path,
            options=options,
            missing=tuple(text.strip() for text in model.missing),
        ),
        problems,
    )


def _option_problems(model: QuestionnaireModel, data: object, file: str) -> list[Problem]:
    """Answer sets must offer two answers of different values, each written once."""
    problems = []
    for name, answers in model.options.items():
        line, _ = line_of(data, ("options", name))
        texts = [text.strip() for text in answers]
        if len(set(answers.values())) < 2:
            problems.append(Problem(file, line, f"options.{name}",
                                    "an answer set needs at least two answers of different values"))
        repeated = sorted({text for text in texts if texts.count(text) > 1 or not text})
        if repeated:
            problems.append(Problem(file, line, f"options.{name}",
                                    f"answer text(s) {', '.join(repr(t) for t in repeated)} written twice or blank"))
        shadowed = sorted(set(texts) & {text.strip() for text in model.missing})
        if shadowed:
            problems.append(Problem(file, line, f"options.{name}", f"answer(s) {', '.join(shadowed)} are also listed "
                                                                   f"under missing (read as blank)"))
    return problems
