"""CloudFormation YAML: a loader for short-form intrinsic tags and a resolver of local values."""

from __future__ import annotations

import re
from typing import Any

import yaml

# Pseudo parameters take the values `sam local` uses, so templates resolve the same way.
PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::StackName": "dotline-local",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/dotline-local/local",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class CfnLoader(yaml.SafeLoader):
    """A safe loader that turns `!Ref x` into `{"Ref": x}` and `!Sub s` into `{"Fn::Sub": s}`."""


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def resolve(value: Any, template: dict[str, Any]) -> Any:
    """Evaluate the intrinsics a local run can know (parameter defaults, pseudo parameters,
    Sub, Join, Select, If with its conditions); anything else is returned unevaluated."""
    if isinstance(value, list):
        return [resolve(item, template) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        evaluator = _EVALUATORS.get(key)
        if evaluator is not None:
            return evaluator(arg, template)
    return {key: resolve(item, template) for key, item in value.items()}


def _ref(name: Any, template: dict[str, Any]) -> Any:
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    parameter = (template.get("Parameters") or {}).get(name)
    if parameter is not None and "Default" in parameter:
        return parameter["Default"]
    return {"Ref": name}


def _sub(arg: Any, template: dict[str, Any]) -> Any:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
    variables = resolve(variables, template)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        found = variables[name] if name in variables else _ref(name, template)
        return match.group(0) if isinstance(found, dict) else str(found)

    return _SUB_VARIABLE.sub(replace, text)


def _join(arg: Any, template: dict[str, Any]) -> Any:
    separator, items = arg[0], resolve(arg[1], template)
    if any(isinstance(item, dict) for item in items):
        return {"Fn::Join": [separator, items]}
    return separator.join(str(item) for item in items)


def _select(arg: Any, template: dict[str, Any]) -> Any:
    index, items = resolve(arg[0], template), resolve(arg[1], template)
    return items[int(index)] if isinstance(items, list) else {"Fn::Select": [index, items]}


def _if(arg: Any, template: dict[str, Any]) -> Any:
    condition, if_true, if_false = arg
    return resolve(if_true if _condition(condition, template) else if_false, template)


def _condition(name: str, template: dict[str, Any]) -> bool:
    return bool(_truth((template.get("Conditions") or {}).get(name, False), template))


def _truth(expr: Any, template: dict[str, Any]) -> bool:
    if not isinstance(expr, dict) or len(expr) != 1:
        return bool(expr)
    ((key, arg),) = expr.items()
    if key == "Fn::Equals":
        left, right = resolve(arg[0], template), resolve(arg[1], template)
        return str(left) == str(right)
    if key == "Fn::Not":
        return not _truth(arg[0], template)
    if key == "Fn::And":
        return all(_truth(item, template) for item in arg)
    if key == "Fn::Or":
        return any(_truth(item, template) for item in arg)
    if key == "Condition":
        return _condition(arg, template)
    return bool(resolve(expr, template))


_EVALUATORS = {
    "Ref": _ref,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::If": _if,
}
