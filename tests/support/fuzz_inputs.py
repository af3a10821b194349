"""What the fuzzer sends: one document per root field of Query and Mutation
(one variable per argument, a small selection), and Hypothesis strategies
for every GraphQL input type, drawing IDs, dates and strings from the
seeded day as well as from the whole range of each type."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import graphql
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from api.graphql.schema import build_schema
from kernel.settings import Settings


def load_schema(settings: Settings) -> GraphQLSchema:
    """The served schema, as graphql-core reads it (from the SDL strawberry prints)."""
    return graphql.build_schema(build_schema(settings).as_str())


@dataclass(frozen=True)
class Target:
    """One root field and the document that calls it."""

    operation: str  # "query" or "mutation"
    name: str
    field: graphql.GraphQLField
    document: str

    @property
    def label(self) -> str:
        return f"{self.operation[0].upper()}.{self.name}"


def selection(type_: graphql.GraphQLOutputType, depth: int = 0) -> str:
    """Scalars bare; objects ``__typename``, their argument-free scalars and
    ``userErrors``, and one level of objects below by ``__typename`` only."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    parts = ["__typename"]
    if isinstance(named, GraphQLObjectType) and depth == 0:
        for name, sub in named.fields.items():
            if any(graphql.is_required_argument(a) for a in sub.args.values()):
                continue
            if name == "userErrors":
                parts.append("userErrors { field code message }")
            elif is_leaf_type(get_named_type(sub.type)):
                parts.append(name)
            else:
                parts.append(f"{name} {selection(sub.type, depth + 1)}")
    return "{ " + " ".join(parts) + " }"


def targets(schema: GraphQLSchema) -> list[Target]:
    """Every root field of Query, then of Mutation."""
    out = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
            passed = ", ".join(f"{a}: ${a}" for a in field.args)
            head = f"{operation} Fuzz({declared})" if declared else operation
            call = f"{name}({passed})" if passed else name
            document = f"{head} {{ {call} {selection(field.type)} }}"
            out.append(Target(operation, name, field, document))
    return out


@dataclass
class Pools:
    """Real values of the seeded day: database ids by node type, dates, strings."""

    ids: dict[str, list[int]]
    dates: list[date]
    strings: list[str]


OMIT = object()  # an optional argument or input field left out

INT32 = (-(2**31), 2**31 - 1)


def leaf(plausible: SearchStrategy[Any], hostile: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """Four times in five a value the API may well accept, else a hostile
    one: with a handful of leaves per input, a third of the requests get
    past validation into the rules, and every leaf meets hostile values.
    (Not ``one_of(p, p, p, p, h)``: Hypothesis folds equal branches.)"""
    return st.integers(0, 4).flatmap(lambda i: plausible if i else hostile)


def ints(name: str) -> SearchStrategy[int]:
    edges = [0, -1, 101, 1000, INT32[0], INT32[1], INT32[1] - 1]
    plausible = st.one_of(st.integers(1, 100), st.sampled_from([1, 2, 3, 12, 990, 1290]))
    hostile = st.one_of(st.sampled_from(edges), st.integers(*INT32))
    if name == "timeLimitSeconds":
        # A valid limit is how long the route solver searches (up to 600 s):
        # valid ones stay at 1-2 s so that a run is bounded.
        plausible = st.integers(1, 2)
        hostile = hostile.filter(lambda s: s < 1 or s > 600)
    return leaf(plausible, hostile)


def floats(name: str) -> SearchStrategy[float]:
    near = {"lat": (28.0, 28.4), "lon": (112.8, 113.1)}.get(name, (0.0, 1000.0))
    edges = [0.0, -0.0, 1e308, -1e308, 5e-324, 90.000001, -90.5, 180.5, -181.0]
    hostile = st.one_of(st.sampled_from(edges), st.floats(allow_nan=False, allow_infinity=False))
    return leaf(st.floats(*near), hostile)


ODD_CHARACTERS = ["\x00", "\x01", "\x1b", "\x7f", "\r\n", "\t", "\u2028", "\ufeff", "\ud800"]

CLEAN = st.characters(exclude_categories=["Cc", "Cs"])


def strings(known: list[str]) -> SearchStrategy[str]:
    """Plausible: the day's codes, phones, URLs, or clean text of any
    script. Hostile: empty or blank, control characters (NUL first), a lone
    surrogate, text of any characters, long repetitions up to 10,000."""
    around = st.text(CLEAN, max_size=4)
    plausible = st.one_of(st.sampled_from(known), st.text(CLEAN, min_size=1, max_size=20))
    hostile = st.one_of(
        st.sampled_from(["", " ", "\u3000"]),
        st.builds(lambda a, c, b: a + c + b, around, st.sampled_from(ODD_CHARACTERS), around),
        st.text(max_size=10),
        st.sampled_from(known).map(lambda s: s + "\x00"),
        st.builds(
            lambda s, n: s * n,
            st.text(CLEAN, min_size=1, max_size=3),
            st.sampled_from([17, 33, 65, 101, 201, 256, 501, 1001, 10_000]),
        ),
    )
    return leaf(plausible, hostile)


def cursor(raw: object) -> str:
    return base64.urlsafe_b64encode(f"k:{raw}".encode()).decode()


def cursors(known: list[str]) -> SearchStrategy[str]:
    """``after``: keyset cursors of real and missing rows; forged ones."""
    forged = [cursor(n) for n in (-1, "", "x", 2**63, 10**30)] + ["k:1", "%%%"]
    hostile = st.one_of(st.sampled_from(forged), strings(known))
    return leaf(st.builds(cursor, st.integers(0, 60)), hostile)


def global_id(type_name: str, raw: object) -> str:
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


# ``fooId`` names a Foo, except these.
ID_ALIASES = {"recruiter": "Leader", "toRoute": "Route", "plan": "RoutePlan"}


def id_types(root: str, name: str, node_types: list[str]) -> list[str]:
    """The node types an ID argument ``name`` of root field ``root`` expects."""
    if name in ("id", "ids"):
        if root in ("node", "nodes"):
            return node_types
        if root == "paymentSimulate":
            return ["Order"]
        if root.startswith("afterSale"):
            return ["AfterSaleRequest"]
        return [t for t in node_types if root.lower().startswith(t.lower())]
    base = name.removesuffix("Ids").removesuffix("Id")
    base = ID_ALIASES.get(base, base[:1].upper() + base[1:])
    return [base] if base in node_types else []


def ids(types: list[str], pools: Pools) -> SearchStrategy[str]:
    """Plausible: real IDs of the expected type. Hostile: real IDs of any
    type, malformed, forged and huge ones."""
    right = [global_id(t, i) for t in types for i in pools.ids.get(t, [])]
    every = [global_id(t, i) for t, rows in pools.ids.items() for i in rows] or ["x"]
    kind = types[0] if types else "Leader"
    forged = [f"{kind}:{n}" for n in (0, -1, "", "1.0", " 1", "²", 2**63 - 1, 2**63, 10**30)]
    malformed = ["", "%%%", "garbage", "\x00", f"{kind}:1", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA="]
    hostile = st.one_of(
        st.sampled_from(every),
        st.sampled_from([base64.b64encode(f.encode()).decode() for f in forged] + malformed),
        st.builds(global_id, st.just(kind), st.integers(min_value=10**4, max_value=2**70)),
        st.text(max_size=12).map(lambda s: base64.b64encode(s.encode()).decode()),
        st.just("9" * 40),
    )
    return leaf(st.sampled_from(right or every), hostile)


def half(plausible: SearchStrategy[Any], hostile: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """Like ``leaf``, one time in two: dates and times are few per input,
    and their extremes are what breaks date arithmetic."""
    return st.booleans().flatmap(lambda ok: plausible if ok else hostile)


def dates(pools: Pools) -> SearchStrategy[date]:
    extremes = st.sampled_from([date(1, 1, 1), date(9999, 12, 31)])
    edges = [date(1970, 1, 1), date(1999, 12, 31), date(2000, 1, 1), date(2100, 12, 31)]
    edges += [date(2101, 1, 1), date(2024, 2, 29)]
    hostile = st.one_of(extremes, st.sampled_from(edges), st.dates())
    return half(st.sampled_from(pools.dates), hostile)


ZONES = [None, UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=14))]
ZONES += [timezone(-timedelta(hours=12))]


def datetimes() -> SearchStrategy[str]:
    now = datetime.now(UTC).replace(microsecond=0)
    near = [now + timedelta(hours=h) for h in (-48, -1, 1, 2, 47)]
    edges = [datetime.min, datetime.max, datetime(1970, 1, 1), datetime(2100, 12, 31, 23, 59)]
    zoned = st.builds(
        lambda d, z: d.replace(tzinfo=z), st.sampled_from(edges), st.sampled_from(ZONES)
    )
    naive_near = st.sampled_from(near).map(lambda d: d.replace(tzinfo=None))
    hostile = st.one_of(zoned, naive_near, st.datetimes(timezones=st.sampled_from(ZONES)))
    return half(st.sampled_from(near), hostile).map(lambda d: d.isoformat())


def times() -> SearchStrategy[str]:
    usual = [time(6), time(7), time(11), time(14), time(20)]
    plausible = st.one_of(st.sampled_from(usual), st.builds(time, st.integers(0, 23)))
    edges = [time(0), time(23, 59, 59, 999999), time(12, tzinfo=UTC), time(20, tzinfo=UTC)]
    hostile = st.one_of(st.sampled_from(edges), st.times(timezones=st.sampled_from(ZONES)))
    return half(plausible, hostile).map(lambda t: t.isoformat())


def json_values() -> SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    return st.recursive(
        leaves,
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids),
        max_leaves=5,
    )


def scalar(type_name: str, root: str, name: str, pools: Pools) -> SearchStrategy[Any]:
    """Built-in and custom scalars; an unknown custom scalar gets strings."""
    if type_name == "Int":
        return ints(name)
    if type_name == "Float":
        return floats(name)
    if type_name == "ID":
        return ids(id_types(root, name, sorted(pools.ids)), pools)
    if type_name == "String" and name == "after":
        return cursors(pools.strings)
    simple: dict[str, SearchStrategy[Any]] = {
        "Boolean": st.booleans(),
        "Date": dates(pools).map(date.isoformat),
        "DateTime": datetimes(),
        "Time": times(),
        "JSON": json_values(),
    }
    return simple[type_name] if type_name in simple else strings(pools.strings)


def value(type_: graphql.GraphQLInputType, root: str, name: str, pools: Pools) -> Any:
    """A strategy for a value of ``type_``; nullable types are sometimes null."""
    if isinstance(type_, GraphQLNonNull):
        return bare(type_.of_type, root, name, pools)
    return leaf(bare(type_, root, name, pools), st.none())


def bare(type_: graphql.GraphQLInputType, root: str, name: str, pools: Pools) -> Any:
    if isinstance(type_, GraphQLList):
        item = value(type_.of_type, root, name, pools)
        many = st.builds(lambda v, n: [v] * n, item, st.sampled_from([101, 300]))
        return leaf(st.lists(item, min_size=1, max_size=3), st.one_of(st.just([]), many))
    if isinstance(type_, GraphQLInputObjectType):
        return fields(type_.fields, root, pools)
    if isinstance(type_, GraphQLEnumType):
        return leaf(st.sampled_from(list(type_.values)), st.just("NOT_A_VALUE"))
    return scalar(get_named_type(type_).name, root, name, pools)


def fields(
    declared: Mapping[str, graphql.GraphQLArgument | graphql.GraphQLInputField],
    root: str,
    pools: Pools,
) -> SearchStrategy[dict[str, Any]]:
    """A dict with one generated value per argument or input field; optional
    ones (nullable, or with a default) are left out one time in three."""
    parts = {}
    for name, spec in declared.items():
        strategy = value(spec.type, root, name, pools)
        optional = not isinstance(spec.type, GraphQLNonNull) or spec.default_value is not Undefined
        parts[name] = sometimes_omitted(strategy) if optional else strategy
    return st.fixed_dictionaries(parts).map(_given)


def sometimes_omitted(strategy: SearchStrategy[Any]) -> SearchStrategy[Any]:
    return st.integers(0, 2).flatmap(lambda i: strategy if i else st.just(OMIT))


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not OMIT}


def variables(target: Target, pools: Pools) -> SearchStrategy[dict[str, Any]]:
    return fields(target.field.args, target.name, pools)
