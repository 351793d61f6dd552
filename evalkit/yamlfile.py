"""Safe YAML loading that remembers the line of every mapping, for error messages."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from evalkit.errors import Problem, display_path
from evalkit.text import control_character_problem


class StrictModel(BaseModel):
    """Base of the models of evalkit's YAML files: unknown keys are errors, numbers are
    finite (YAML's ``.nan`` and ``.inf`` would slip past every comparison a check makes)
    and text holds no control character (reports, xlsx and JSON would break on it)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        if isinstance(value, str) and (problem := control_character_problem(value)):
            raise ValueError(problem)
        return value


class LineDict(dict):
    """A mapping loaded from YAML; ``line`` is its first line and ``key_lines`` each key's line."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (no arbitrary objects) that records line numbers."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        first: dict[object, int] = {}
        for key_node, _ in node.value:  # a repeated key would silently win over the first: refuse it
            key = self.construct_object(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in first:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (first on line {first[key]})", key_node.start_mark)
            first.setdefault(key, key_node.start_mark.line + 1)
        mapping = LineDict(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping  # type: ignore[arg-type]
)


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Load a YAML file safely; malformed YAML becomes a :class:`Problem` with its line."""
    file = display_path(path)
    if not path.is_file():
        return None, [Problem(file, None, None, "file not found")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [Problem(file, line, None, "YAML files must be UTF-8 (save the file as UTF-8; this line "
                                                "holds the first byte that is not)")]
    try:
        data = yaml.load(text, Loader=_LineLoader)  # (_LineLoader derives from SafeLoader)
    except RecursionError:
        return None, [Problem(file, None, None, "malformed YAML: lists or mappings nested too deeply")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, str(mark.column + 1)) if mark is not None else (None, None)
        reason = getattr(exc, "problem", None) or str(exc)
        tag = re.search(r"for the tag '([^']+)'", reason) if "constructor" in reason else None
        if tag:  # e.g. !!python/object/apply:os.system: never constructed, whatever it names
            shown = re.sub(r"^tag:yaml\.org,2002:", "!!", tag.group(1))
            return None, [Problem(file, line, None, f"YAML tag {shown} is not allowed: evalkit reads plain data "
                                                    f"only (text, numbers, lists, mappings)")]
        return None, [Problem(file, line, column, f"malformed YAML: {reason}")]
    if not isinstance(data, dict):
        return None, [Problem(file, 1, None, "expected a YAML mapping (key: value lines) at the top level")]
    return data, []


Model = TypeVar("Model", bound=BaseModel)


def load_model(path: Path, model: type[Model]) -> tuple[Model | None, Any, list[Problem]]:
    """A YAML file checked by a pydantic ``model``: ``(validated, raw data, problems)``.

    ``validated`` is None when the file does not load or does not fit the model; the
    problems then name the file, the YAML line and the key. When the only misfits are
    unknown keys (typos such as ``pionts``), ``validated`` is the file checked without them,
    beside those problems, so that callers' further checks report the rest in the same run.
    ``raw data`` (None when the YAML itself is broken) keeps the line numbers for further
    checks (:func:`line_of`).
    """
    data, problems = load_yaml(path)
    if data is None:
        return None, None, problems
    try:
        return model.model_validate(data), data, []
    except ValidationError as exc:
        problems = pydantic_problems(exc, data, display_path(path))
        unknown = [error["loc"] for error in exc.errors() if error["type"] == "extra_forbidden"]
    if len(unknown) == len(problems):  # only unknown keys (typos): check the rest without them,
        try:                           # so that one run reports every problem of the file
            return model.model_validate(_without_keys(data, unknown)), data, problems
        except ValidationError:
            pass
    return None, data, problems


def _without_keys(data: Any, locations: list[tuple[Any, ...]]) -> Any:
    """A copy of ``data`` without the keys at ``locations`` (pydantic error locations)."""
    data = copy.deepcopy(data)
    for location in locations:
        node = data
        for part in location[:-1]:
            node = node[part]
        del node[location[-1]]
    return data


def line_of(data: Any, loc: tuple[Any, ...]) -> tuple[int | None, str | None]:
    """The line and key for a location path such as ``("indicators", 0, "points")``."""
    line: int | None = getattr(data, "line", None)
    key: str | None = None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str):
            line = node.key_lines.get(part, node.line)
            key = part
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line, key


def pydantic_problems(error: Any, data: Any, file: str) -> list[Problem]:
    """Translate a ``pydantic.ValidationError`` into problems with YAML lines and keys."""
    problems = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-"))))
        line, key = line_of(data, loc)
        where = ".".join(str(p) for p in loc) or "file"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = f"'{loc[-1]}' is required"
            key = str(loc[-1])
        elif item["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        problems.append(Problem(file, line, key or where, f"{where}: {message}" if where != key else message))
    return problems
