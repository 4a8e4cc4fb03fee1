"""Policy files (YAML): loading with errors that name the key and the line, and the shipped ones.

PyYAML's node tree keeps the line of every key, so a bad value is reported where it was written.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from reprieve.domain.errors import ValidationError
from reprieve.domain.policy import Policy, policy_from_data

#: Policies shipped with Reprieve, by name (``policy: meta`` when creating a platform).
SHIPPED = ("meta", "youtube", "truth-social", "parler")


def load_policy(text: str, *, source: str = "policy", capabilities: tuple[str, ...] | None = None) -> Policy:
    """Parse and validate a YAML policy; a ValidationError says ``source, line N: key: problem``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationError(f"{source}{line}: not valid YAML: {problem}") from None
    if node is None:
        raise ValidationError(f"{source}: the policy is empty")
    lines: dict[str, int] = {}
    data = _plain(node, "", lines)
    try:
        return policy_from_data(data, capabilities=capabilities)
    except ValidationError as exc:
        raise ValidationError(f"{source}, line {_line_for(exc.field or '', lines)}: {exc.message}") from None


def shipped_policy_text(name: str) -> str:
    if name not in SHIPPED:
        raise ValidationError(f"{name!r} is not a shipped policy ({', '.join(SHIPPED)})", field="policy")
    return resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def shipped_policy(name: str) -> Policy:
    return load_policy(shipped_policy_text(name), source=f"{name}.yaml")


def shipped_policy_data(name: str) -> dict[str, Any]:
    """The shipped policy as plain data (what a platform stores)."""
    data = yaml.safe_load(shipped_policy_text(name))
    assert isinstance(data, dict)
    return data


def _plain(node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_scalar(yaml.SafeLoader(""), key_node)
            child = f"{path}.{key}" if path else str(key)
            lines[child] = key_node.start_mark.line + 1
            result[key] = _plain(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    return loader.construct_object(node, deep=True)


def _line_for(field: str, lines: dict[str, int]) -> int:
    """The line of ``field``, or of its nearest parent that was written in the file."""
    while field:
        if field in lines:
            return lines[field]
        field = field.rsplit("[", 1)[0] if field.endswith("]") else field.rpartition(".")[0]
    return lines.get("", 1)
