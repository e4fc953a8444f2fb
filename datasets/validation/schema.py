"""Checking schema documents: safe JSON loading, Table Schema and JSON Schema meta-validation.

Every problem comes with an RFC 6901 JSON pointer into the schema, so an upload form can point
at the offending property. Loading refuses documents over `max_schema_bytes` or nested deeper
than `max_schema_depth` before Python's recursive JSON parser sees them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from . import regex
from .cells import value_reader
from .fields import BOUND_CONSTRAINTS, FieldSpec, field_from_descriptor
from .limits import Limits
from .report import SchemaProblem, clip, json_pointer
from .tableschema_meta import FORMATS, SUPPORTED_CONSTRAINTS, TABLE_SCHEMA_META

MAX_MESSAGE = 300
# Structural tokens of JSON, skipping over strings, for the depth pre-scan.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_TABLE_META_VALIDATOR = Draft202012Validator(TABLE_SCHEMA_META)
_KNOWN_DATE_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxX%GuVeT")


def _problem(pointer: str, message: str, code: str) -> SchemaProblem:
    return SchemaProblem(pointer=pointer, message=clip(message, MAX_MESSAGE), code=code)


def json_depth(data: bytes) -> int:
    """Maximum nesting of arrays and objects, without parsing (and without recursion)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_schema_bytes(data: bytes, limits: Limits) -> tuple[Any | None, list[SchemaProblem]]:
    """Parse a schema document with size and depth limits; (document, []) or (None, problems)."""
    if len(data) > limits.max_schema_bytes:
        return None, [
            _problem(
                "",
                f"the schema is {len(data):,} bytes; the limit is {limits.max_schema_bytes:,}",
                "schema-too-large",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        return None, [_problem("", "the schema document is empty", "invalid-json")]
    depth = json_depth(data)
    if depth > limits.max_schema_depth:
        return None, [
            _problem(
                "",
                f"the schema is nested {depth} levels deep; the limit is {limits.max_schema_depth}",
                "schema-too-deep",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [
            _problem("", f"the schema is not UTF-8 (byte offset {exc.start})", "invalid-json")
        ]
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [
            _problem(
                "",
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                "invalid-json",
            )
        ]
    except (ValueError, RecursionError) as exc:
        # Integers beyond Python's digit limit, NaN/Infinity: valid Python, not JSON we take.
        return None, [_problem("", f"invalid JSON: {exc}", "invalid-json")]
    return document, []


def _meta_problems(validator: Any, schema: Any, code: str) -> list[SchemaProblem]:
    problems = []
    for error in validator.iter_errors(schema):
        # For oneOf/anyOf, the deepest, most relevant sub-error reads better.
        best = jsonschema.exceptions.best_match([error]) or error
        problems.append(_problem(json_pointer(best.absolute_path), best.message, code))
    return sorted(set(problems), key=lambda problem: (problem.pointer, problem.message))


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _check_format(spec: FieldSpec, pointer: str) -> Iterator[SchemaProblem]:
    allowed = FORMATS.get(spec.type, frozenset({"default"}))
    fmt = spec.format
    if allowed is None:  # date, time, datetime: default, any, or a strptime pattern
        if fmt in ("default", "any"):
            return
        if fmt.startswith("fmt:"):
            fmt = fmt[4:]
        directives = re.findall(r"%(.)", fmt)
        if not directives or any(d not in _KNOWN_DATE_DIRECTIVES for d in directives):
            yield _problem(
                f"{pointer}/format",
                f'format "{spec.format}" of a {spec.type} field must be "default", "any" or a '
                "strptime pattern such as %d/%m/%Y",
                "field-error",
            )
            return
        try:
            datetime.now().strftime(fmt)
        except ValueError as exc:
            yield _problem(f"{pointer}/format", f"invalid date format: {exc}", "field-error")
    elif fmt not in allowed and fmt != "default":
        choices = ", ".join(sorted(allowed))
        yield _problem(
            f"{pointer}/format",
            f'format "{fmt}" is not one of {choices} for type "{spec.type}"',
            "field-error",
        )


def _check_field(spec: FieldSpec, descriptor: dict[str, Any], pointer: str) -> list[SchemaProblem]:
    problems: list[SchemaProblem] = list(_check_format(spec, pointer))
    constraints = descriptor.get("constraints") or {}
    supported = SUPPORTED_CONSTRAINTS.get(spec.type, frozenset()) | {"unique"}
    read = value_reader(spec)
    for name, value in constraints.items():
        where = f"{pointer}/constraints/{name}"
        if name not in supported:
            problems.append(
                _problem(
                    where,
                    f'constraint "{name}" is not supported by type "{spec.type}"',
                    "field-error",
                )
            )
            continue
        if name == "pattern":
            error = regex.compile_error(f"^{value}$")
            if error:
                problems.append(
                    _problem(
                        where,
                        f"pattern {value!r} cannot be used: {error} (patterns run on RE2, "
                        "which has no lookaround or backreferences)",
                        "unsupported-pattern",
                    )
                )
        elif name in BOUND_CONSTRAINTS:
            if read(value) is None:
                problems.append(
                    _problem(
                        where,
                        f'{name} {value!r} is not a valid "{spec.type}" value',
                        "field-error",
                    )
                )
        elif name == "enum":
            for index, item in enumerate(value):
                if item is not None and read(item) is None:
                    problems.append(
                        _problem(
                            f"{where}/{index}",
                            f'enum value {item!r} is not a valid "{spec.type}" value',
                            "field-error",
                        )
                    )
    low, high = constraints.get("minLength"), constraints.get("maxLength")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(
            _problem(f"{pointer}/constraints", "minLength is greater than maxLength", "field-error")
        )
    if spec.type == "boolean" and set(spec.true_values) & set(spec.false_values):
        problems.append(
            _problem(pointer, "trueValues and falseValues share a value", "field-error")
        )
    if spec.type == "list" and spec.item_type not in {
        "string",
        "integer",
        "number",
        "boolean",
        "date",
        "datetime",
        "time",
    }:
        problems.append(_problem(f"{pointer}/itemType", "unsupported item type", "field-error"))
    if "required" in descriptor:
        problems.append(
            _problem(
                f"{pointer}/required",
                '"required" belongs in "constraints": {"required": true}',
                "field-error",
            )
        )
    return problems


def check_table_schema(schema: Any, limits: Limits | None = None) -> list[SchemaProblem]:
    """Every problem of a Frictionless Table Schema; an empty list means it is usable."""
    limits = limits or Limits()
    if not isinstance(schema, dict):
        return [_problem("", "a Table Schema must be a JSON object", "schema-error")]
    fields = schema.get("fields")
    if isinstance(fields, list) and len(fields) > limits.max_columns:
        return [
            _problem(
                "/fields",
                f"the schema has {len(fields):,} fields; the limit is {limits.max_columns:,}",
                "schema-too-large",
            )
        ]
    problems = _meta_problems(_TABLE_META_VALIDATOR, schema, "schema-error")
    if problems or not isinstance(fields, list):
        return problems

    missing_top = [
        entry["value"] if isinstance(entry, dict) else entry
        for entry in schema.get("missingValues", [""])
    ]
    names: dict[str, int] = {}
    for index, descriptor in enumerate(fields):
        pointer = f"/fields/{index}"
        spec = field_from_descriptor(descriptor, index + 1, tuple(missing_top))
        if spec.name in names:
            problems.append(
                _problem(
                    f"{pointer}/name",
                    f'field name "{spec.name}" is already used by field {names[spec.name] + 1}',
                    "schema-error",
                )
            )
        names.setdefault(spec.name, index)
        problems.extend(_check_field(spec, descriptor, pointer))

    def check_keys(key: Any, pointer: str, what: str) -> None:
        for position, name in enumerate(_names(key)):
            if name not in names:
                where = pointer if isinstance(key, str) else f"{pointer}/{position}"
                problems.append(
                    _problem(where, f'{what} "{name}" is not a field of the schema', "schema-error")
                )

    if "primaryKey" in schema:
        check_keys(schema["primaryKey"], "/primaryKey", "primary key field")
    for index, key in enumerate(schema.get("uniqueKeys", [])):
        check_keys(key, f"/uniqueKeys/{index}", "unique key field")
    for index, foreign in enumerate(schema.get("foreignKeys", [])):
        pointer = f"/foreignKeys/{index}"
        check_keys(foreign["fields"], f"{pointer}/fields", "foreign key field")
        local, remote = _names(foreign["fields"]), _names(foreign["reference"]["fields"])
        if len(local) != len(remote):
            problems.append(
                _problem(
                    f"{pointer}/reference/fields",
                    "a foreign key and its reference must have as many fields",
                    "schema-error",
                )
            )
        if not foreign["reference"].get("resource"):
            check_keys(foreign["reference"]["fields"], f"{pointer}/reference/fields", "field")
    return problems


# JSON Schema


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, node) for every node of a JSON document, iteratively (depth is bounded anyway)."""
    stack = [(path, node)]
    while stack:
        current_path, current = stack.pop()
        yield current_path, current
        if isinstance(current, dict):
            stack.extend(((*current_path, key), value) for key, value in current.items())
        elif isinstance(current, list):
            stack.extend(((*current_path, index), value) for index, value in enumerate(current))


def _is_schema_position(path: tuple[Any, ...]) -> bool:
    """False inside `enum`, `const`, `examples` and `default`, where any JSON is data."""
    return not any(part in {"enum", "const", "examples", "default"} for part in path[:-1])


def json_schema_validator_class(schema: Any) -> Any:
    return jsonschema.validators.validator_for(schema, default=Draft202012Validator)


def check_json_schema(schema: Any, limits: Limits | None = None) -> list[SchemaProblem]:
    """Every problem of a JSON Schema: its draft's meta-schema (2020-12 unless `$schema` names
    another), plus patterns RE2 cannot run and `$ref`s we will not fetch."""
    limits = limits or Limits()
    if not isinstance(schema, (dict, bool)):
        return [_problem("", "a JSON Schema must be an object or a boolean", "schema-error")]
    cls = json_schema_validator_class(schema)
    meta_validator = cls(cls.META_SCHEMA)
    problems = _meta_problems(meta_validator, schema, "schema-error")
    if problems or isinstance(schema, bool):
        return problems
    local_ids = {
        node["$id"]
        for _, node in _walk(schema)
        if isinstance(node, dict) and isinstance(node.get("$id"), str)
    }
    for path, node in _walk(schema):
        if not isinstance(node, dict) or not _is_schema_position((*path, "")):
            continue
        pointer = json_pointer(path)
        pattern = node.get("pattern")
        if isinstance(pattern, str) and (error := regex.compile_error(pattern)):
            problems.append(
                _problem(
                    f"{pointer}/pattern",
                    f"pattern {pattern!r} cannot be used: {error} (patterns run on RE2)",
                    "unsupported-pattern",
                )
            )
        for key in node.get("patternProperties", {}) or {}:
            if error := regex.compile_error(key):
                problems.append(
                    _problem(
                        json_pointer((*path, "patternProperties", key)),
                        f"pattern {key!r} cannot be used: {error} (patterns run on RE2)",
                        "unsupported-pattern",
                    )
                )
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#") and ref.split("#")[0] not in local_ids:
            problems.append(
                _problem(
                    f"{pointer}/$ref",
                    f"$ref {ref!r} points outside the schema; remote references are not fetched",
                    "unsupported-ref",
                )
            )
    if not problems:
        try:
            cls(schema).is_valid(None)
        except (SchemaError, ValidationError) as exc:
            problems.append(_problem("", f"the schema cannot be used: {exc}", "schema-error"))
        except Exception as exc:
            problems.append(_problem("", f"the schema cannot be used: {exc}", "schema-error"))
    return sorted(problems, key=lambda problem: (problem.pointer, problem.message))
