"""The edge: every argument a client sends is checked against ``limits``
before any resolver sees it.

``guard_inputs`` runs once on the built schema. It compiles a checker per
argument, wraps the resolver of every field that takes arguments, and writes
each rule into the description of the argument or input field it governs. A
refused value never reaches the domain: a mutation answers its payload with a
UserError naming the field, anything else a BAD_USER_INPUT error naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)
from strawberry.utils.str_converters import to_camel_case

from api.graphql.errors import ClientError, UserError, UserErrorCode
from api.graphql.limits import Limit, Refused, limit_for
from kernel.metrics import count_user_error

Path = list[str]
# Takes a value and its path; returns it cleaned, or raises _Rejected.
Check = Callable[[Any, Path], Any]


class _Rejected(Exception):
    def __init__(self, path: Path, refused: Refused) -> None:
        super().__init__(refused.message)
        self.path = path
        self.refused = refused


def guard_inputs(schema: GraphQLSchema) -> None:
    """Enforce and describe the edge's limits on every argument of ``schema``."""
    compiler = _Compiler()
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInputObjectType) and not named.name.startswith("__"):
            for name, field in named.fields.items():
                _describe(field, compiler.described(named.name, name, field.type))
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for field_name, field in named.fields.items():
                if field.args:
                    owner = f"{named.name}.{field_name}"
                    mutation = named is schema.mutation_type
                    _guard_field(field, owner, compiler, mutation)


def _describe(target: GraphQLArgument | GraphQLInputField, limit: Limit | None) -> None:
    if limit is not None:
        rule = limit.describe()
        target.description = f"{target.description} {rule}" if target.description else rule


def _guard_field(field: GraphQLField, owner: str, compiler: _Compiler, mutation: bool) -> None:
    checks: dict[str, Check] = {}
    for name, arg in field.args.items():
        _describe(arg, compiler.described(owner, name, arg.type))
        check = compiler.check(arg.type, owner, name)
        if check is not None:
            checks[name] = check
    if not checks:
        return
    # A mutation's one argument is its input; UserError paths start inside it.
    roots = {name: ([] if mutation and name == "input" else [name]) for name in checks}
    refuse = _payload_refusal(field) if mutation else _top_level_refusal
    resolve = field.resolve
    assert resolve is not None

    def guarded(source: Any, info: Any, **args: Any) -> Any:
        try:
            for name, check in checks.items():
                if name in args:
                    args[name] = check(args[name], roots[name])
        except _Rejected as rejected:
            return refuse(rejected)
        return resolve(source, info, **args)

    field.resolve = guarded


def _top_level_refusal(rejected: _Rejected) -> Any:
    count_user_error("BAD_USER_INPUT")
    where = ".".join(rejected.path)
    error = ClientError(f"{where}: {rejected.refused.message}", "BAD_USER_INPUT")
    assert error.extensions is not None
    error.extensions["field"] = rejected.path
    raise error


def _payload_refusal(field: GraphQLField) -> Callable[[_Rejected], Any]:
    """How ``field``'s payload answers a refused input: every field empty (or
    zero, where it cannot be null) and one UserError."""
    payload = get_named_type(field.type)
    assert isinstance(payload, GraphQLObjectType) and "userErrors" in payload.fields, payload
    origin = payload.extensions["strawberry-definition"].origin
    empty: dict[str, Any] = {}
    for definition in payload.extensions["strawberry-definition"].fields:
        name = to_camel_case(definition.python_name)
        if name != "userErrors" and definition.base_resolver is None:
            empty[definition.python_name] = _empty(payload.fields[name].type)

    def refuse(rejected: _Rejected) -> Any:
        count_user_error(rejected.refused.code)
        error = UserError(
            field=rejected.path,
            code=UserErrorCode(rejected.refused.code),
            message=rejected.refused.message,
        )
        return origin(**empty, user_errors=[error])

    return refuse


def _empty(output_type: Any) -> Any:
    if not isinstance(output_type, GraphQLNonNull):
        return None
    inner = output_type.of_type
    if isinstance(inner, GraphQLList):
        return []
    zeros = {"Int": 0, "Float": 0.0, "Boolean": False}
    assert isinstance(inner, GraphQLScalarType) and inner.name in zeros, inner
    return zeros[inner.name]


class _Compiler:
    """Builds one checker per (owner, name, type), nothing for a type that
    has nothing to check; input objects are compiled once each."""

    def __init__(self) -> None:
        self._objects: dict[str, Check | None] = {}

    def limit(self, owner: str, name: str, gql_type: GraphQLInputType) -> Limit | None:
        named = get_named_type(gql_type)
        return limit_for(owner, name, named.name) if isinstance(named, GraphQLScalarType) else None

    def described(self, owner: str, name: str, gql_type: GraphQLInputType) -> Limit | None:
        """The limit to state in the schema: IDs are opaque, sent back as
        received, so their bound is enforced but not advertised."""
        return None if get_named_type(gql_type).name == "ID" else self.limit(owner, name, gql_type)

    def check(self, gql_type: GraphQLInputType, owner: str, name: str) -> Check | None:
        if isinstance(gql_type, GraphQLNonNull):
            return self.check(gql_type.of_type, owner, name)
        if isinstance(gql_type, GraphQLList):
            return _list_check(self.check(gql_type.of_type, owner, name))
        if isinstance(gql_type, GraphQLInputObjectType):
            return self._object(gql_type)
        limit = self.limit(owner, name, gql_type)
        return None if limit is None else _scalar_check(limit)

    def _object(self, gql_type: GraphQLInputObjectType) -> Check | None:
        if gql_type.name not in self._objects:
            self._objects[gql_type.name] = None  # a recursive input meets itself here
            fields = {
                name: check
                for name, field in gql_type.fields.items()
                if (check := self.check(field.type, gql_type.name, name)) is not None
            }
            self._objects[gql_type.name] = _object_check(fields) if fields else None
        return self._objects[gql_type.name]


def _scalar_check(limit: Limit) -> Check:
    def check(value: Any, path: Path) -> Any:
        if value is None:
            return None
        try:
            return limit.clean(value)
        except Refused as refused:
            raise _Rejected(path, refused) from None

    return check


def _list_check(inner: Check | None) -> Check | None:
    if inner is None:
        return None

    def check(value: Any, path: Path) -> Any:
        if value is None:
            return None
        return [inner(item, [*path, str(i)]) for i, item in enumerate(value)]

    return check


def _object_check(fields: dict[str, Check]) -> Check:
    def check(value: Any, path: Path) -> Any:
        if value is None:
            return None
        cleaned = dict(value)
        for name, field_check in fields.items():
            if name in cleaned:
                cleaned[name] = field_check(cleaned[name], [*path, name])
        return cleaned

    return check
