"""Schemathesis hooks for fuzzing Steward's GraphQL API.

Loaded by `schemathesis run` through SCHEMATHESIS_HOOKS (see run.sh and drive.py). It registers:

- strategies for the `JSON` scalar (small objects, nested, with odd keys and odd values) and the
  `ID` scalar (mostly ids that exist on the seeded server, some random UUIDs, some junk), so that
  generated requests get past "not found" and reach the resolvers;
- an auth provider that signs in as the principal named by STEWARD_FUZZ_EMAIL and
  STEWARD_FUZZ_PASSWORD, and signs in again if a fuzzed request ended its session;
- the check `steward_error_contract`: no HTTP 5xx, no `INTERNAL`, and every GraphQL error carries
  an `extensions.code` from the API contract.

GraphQL literals cannot spell an object key such as `a.b` or `""`, so a JSON value that needs one is
drawn as a marked string and moved into a variable of type `JSON!` just before the request is sent.
"""

from __future__ import annotations

import atexit
import base64
import itertools
import json
import os
import random
import threading

import graphql
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

CONTRACT_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "CONFLICT",
        "INVALID_CREDENTIALS",
        "USER_BLOCKED",
        "LOCKED_OUT",
        "EMAIL_NOT_VERIFIED",
        "PASSWORD_POLICY",
        "TOKEN_INVALID",
        "RATE_LIMITED",
    }
)

BASE_URL = os.environ.get("STEWARD_FUZZ_URL", "http://127.0.0.1:8080").rstrip("/")
POOL_PATH = os.environ.get("STEWARD_FUZZ_POOL")
EMAIL = os.environ.get("STEWARD_FUZZ_EMAIL")
PASSWORD = os.environ.get("STEWARD_FUZZ_PASSWORD")
STATS_PATH = os.environ.get("STEWARD_FUZZ_STATS")
# Every request and answer as JSON lines, when set (for reading what the fuzzer sent).
TRACE_PATH = os.environ.get("STEWARD_FUZZ_TRACE")

# Marks a string literal whose value is a JSON document to send as a variable instead.
VARIABLE_MARK = "\u2063steward-json-variable:"


def _load_pool() -> dict[str, list[str]]:
    if not POOL_PATH:
        return {}
    with open(POOL_PATH, encoding="utf-8") as file:
        return json.load(file)


POOL = _load_pool()
ID_KINDS = ("users", "orgs", "invitations", "apiClients")
KNOWN_IDS = sorted({value for kind in ID_KINDS for value in POOL.get(kind, [])})

# Marks a string literal that stands for "a real id of the kind this argument takes".
ID_MARK = "\u2063steward-known-id:"

# Which kind of id an argument takes, by argument (or input field) name, then by the operation
# for a bare `id`.
ID_KIND_BY_ARGUMENT = {"userId": "users", "orgId": "orgs"}
ID_KIND_BY_FIELD = {
    "organization": "orgs",
    "updateOrganization": "orgs",
    "deleteOrganization": "orgs",
    "user": "users",
    "updateUser": "users",
    "updateUserMetadata": "users",
    "deleteUser": "users",
    "revokeInvitation": "invitations",
    "rotateApiClientSecret": "apiClients",
    "deleteApiClient": "apiClients",
}

# ---------------------------------------------------------------------------------------------
# The ID scalar
# ---------------------------------------------------------------------------------------------

JUNK_IDS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "null",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "not-a-uuid",
            "%00",
            "' OR 1=1 --",
            "../../etc/passwd",
            "x" * 10_000,
        ]
    ),
    st.text(max_size=40),
    # A real id, but spelled the way a careless client would.
    st.sampled_from(KNOWN_IDS or ["0"]).flatmap(
        lambda known: st.sampled_from(
            [known.upper(), " " + known, known + " ", known.replace("-", ""), known[:-1], "{" + known + "}"]
        )
    ),
)

TYPED_IDS = st.integers(min_value=0, max_value=1_000_000).map(lambda index: nodes.String(f"{ID_MARK}{index}"))

ID_STRATEGY = st.one_of(
    # Real ids weigh most (one_of draws its branches evenly): of the argument's own kind, or of
    # any kind (an org's id where a user's is expected).
    *([TYPED_IDS] * 6 if KNOWN_IDS else []),
    *([st.sampled_from(KNOWN_IDS).map(nodes.String)] if KNOWN_IDS else []),
    st.uuids().map(str).map(nodes.String),
    JUNK_IDS.map(nodes.String),
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int),
)

# ---------------------------------------------------------------------------------------------
# Int and String: the defaults draw from the whole range, which mostly meets "first must be
# between 0 and 200"; these favour the values the server's checks sit around.
# ---------------------------------------------------------------------------------------------

INT_STRATEGY = st.one_of(
    st.integers(min_value=0, max_value=200),
    st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 8, 10, 12, 60, 128, 129, 201, 900, 3600, 86400, 2_592_000, 2_592_001]),
    st.sampled_from([2**31 - 1, -(2**31)]),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
).map(nodes.Int)


def _cursor(key, id_: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"key": key, "id": id_}).encode()).decode().rstrip("=")


KNOWN_STRINGS = [
    *POOL.get("emails", []),
    *POOL.get("slugs", []),
    *POOL.get("passwords", []),
    *POOL.get("clientIds", []),
    "users:read",
    "users:write",
    "users:delete",
    "metadata:write",
    "audit:read",
    "org:read",
    "#336699",
    "#ABCDEF",
    "#12345",
    "en",
    "pt-BR",
    "+14155550100",
    "https://example.com/logo.png",
    "javascript:alert(1)",
    "http://127.0.0.1:8080/done",
    "appMetadata.plan",
    "userMetadata.team.name",
    "userMetadata.",
    "metadata.x",
    "LOGIN_SUCCEEDED",
    "USER_BLOCKED",
    "2024-01-01T00:00:00Z",
    _cursor("a@fuzz.test", "01a24144-94dd-7785-bc64-0d07481ef879"),
    _cursor(1_700_000_000_000_000, "01a24144-94dd-7785-bc64-0d07481ef879"),
    _cursor(-(2**63), "00000000-0000-0000-0000-000000000000"),
    _cursor(2**63 - 1, "ffffffff-ffff-ffff-ffff-ffffffffffff"),
    base64.urlsafe_b64encode(b'{"key":1.5,"id":"x"}').decode(),
    base64.urlsafe_b64encode(b"[]").decode(),
]

EMAILISH = st.one_of(
    st.emails().map(str),
    st.sampled_from(
        [
            "a@b.co",
            " Mixed@Case.Test ",
            "new\r\nbcc: x@y.z@fuzz.test",
            "x<evil@fuzz.test>",
            "a@fuzz.test,b@fuzz.test",
            "\"q\"@fuzz.test",
            "a@[127.0.0.1]",
            "@fuzz.test",
            "a@",
            ("l" * 65) + "@fuzz.test",
            "a@" + ("d" * 320) + ".test",
        ]
    ),
)

STRING_STRATEGY = st.one_of(
    st.text(max_size=40),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="ascii"), max_size=20),
    st.sampled_from(KNOWN_STRINGS),
    st.sampled_from(KNOWN_STRINGS),
    EMAILISH,
    # Slug-shaped, so that createOrganization gets past its first check.
    st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,20}[a-z0-9]\Z"),
    st.integers(min_value=100, max_value=5000).map(lambda size: "s" * size),
).map(nodes.String)

# ---------------------------------------------------------------------------------------------
# The JSON scalar
# ---------------------------------------------------------------------------------------------

# Keys a GraphQL literal can spell (GraphQL names).
NAME_KEYS = st.one_of(
    st.sampled_from(["plan", "team", "name", "a", "b", "tier", "_", "__proto__", "constructor", "null", "true"]),
    st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z"),
    st.just("k" * 255),
    st.just("k" * 256),
)

# Keys only JSON can spell: the contract refuses `""`, dots and more than 255 characters.
ODD_KEYS = st.one_of(
    NAME_KEYS,
    st.sampled_from(["", ".", "a.b", ".a", "a.", " ", "a b", "ключ", "🔑", "$where", "\u0000", "k" * 1000]),
    st.text(min_size=0, max_size=12),
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)

# Values large enough to cross the 16 KiB limit, alone or after a merge.
BIG_STRINGS = st.integers(min_value=15_000, max_value=17_000).map(lambda size: "x" * size)


def _json_values(keys: st.SearchStrategy[str]) -> st.SearchStrategy:
    leaves = st.one_of(SCALARS, BIG_STRINGS) if keys is ODD_KEYS else SCALARS
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(keys, children, max_size=4),
        ),
        max_leaves=12,
    )


def _to_node(value) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (its keys must be GraphQL names)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_to_node(item) for item in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=_to_node(child))
            for key, child in value.items()
        ]
    )


LITERAL_OBJECTS = st.dictionaries(NAME_KEYS, _json_values(NAME_KEYS), max_size=5).map(_to_node)
# Anything JSON can hold, mostly objects: sent as a variable.
VARIABLE_VALUES = st.one_of(
    st.dictionaries(ODD_KEYS, _json_values(ODD_KEYS), max_size=5),
    st.dictionaries(ODD_KEYS, _json_values(ODD_KEYS), max_size=5),
    st.dictionaries(ODD_KEYS, _json_values(ODD_KEYS), max_size=5),
    _json_values(ODD_KEYS).filter(lambda value: value is not None),
).map(lambda value: nodes.String(VARIABLE_MARK + json.dumps(value)))
# Literals that are not objects (a list, a number, a string): the server must refuse them cleanly.
ODD_LITERALS = st.one_of(
    st.lists(SCALARS, max_size=3).map(_to_node),
    SCALARS.filter(lambda value: value is not None).map(_to_node),
)

JSON_STRATEGY = st.one_of(LITERAL_OBJECTS, LITERAL_OBJECTS, VARIABLE_VALUES, ODD_LITERALS)

schemathesis.graphql.scalar("ID", ID_STRATEGY)
schemathesis.graphql.scalar("JSON", JSON_STRATEGY)
schemathesis.graphql.scalar("Int", INT_STRATEGY)
schemathesis.graphql.scalar("String", STRING_STRATEGY)


def _known_id(index: int, argument: str | None, field: str | None) -> str:
    kind = ID_KIND_BY_ARGUMENT.get(argument or "") or (ID_KIND_BY_FIELD.get(field or "") if argument == "id" else None)
    choices = POOL.get(kind or "", []) or KNOWN_IDS
    return choices[index % len(choices)]


def _rewrite(query: str) -> tuple[str, dict]:
    """Puts real ids where ID marks stand, and moves JSON marks into `JSON!` variables."""
    document = graphql.parse(query)
    variables: dict[str, object] = {}

    class Rewrite(graphql.Visitor):
        def enter_string_value(self, node, key, parent, path, ancestors):
            # Ill-formed mode can cut a mark short: what is left is sent as it stands, junk.
            if node.value.startswith(ID_MARK) and node.value[len(ID_MARK) :].isdigit():
                argument = parent.name.value if isinstance(parent, (graphql.ArgumentNode, graphql.ObjectFieldNode)) else None
                fields = [ancestor for ancestor in ancestors if isinstance(ancestor, graphql.FieldNode)]
                field = fields[-1].name.value if fields else None
                index = int(node.value[len(ID_MARK) :])
                return graphql.StringValueNode(value=_known_id(index, argument, field))
            if node.value.startswith(VARIABLE_MARK):
                try:
                    value = json.loads(node.value[len(VARIABLE_MARK) :])
                except ValueError:
                    return None
                name = f"json{len(variables)}"
                variables[name] = value
                return graphql.VariableNode(name=graphql.NameNode(value=name))
            return None

    document = graphql.visit(document, Rewrite())
    if variables:
        definitions = []
        for definition in document.definitions:
            if isinstance(definition, graphql.OperationDefinitionNode):
                declared = tuple(
                    graphql.VariableDefinitionNode(
                        variable=graphql.VariableNode(name=graphql.NameNode(value=name)),
                        type=graphql.NonNullTypeNode(type=graphql.NamedTypeNode(name=graphql.NameNode(value="JSON"))),
                        directives=(),
                    )
                    for name in variables
                )
                definition = graphql.OperationDefinitionNode(
                    operation=definition.operation,
                    name=definition.name,
                    variable_definitions=tuple(definition.variable_definitions or ()) + declared,
                    directives=definition.directives,
                    selection_set=definition.selection_set,
                )
            definitions.append(definition)
        document = graphql.DocumentNode(definitions=tuple(definitions))
    return graphql.print_ast(document), variables


@schemathesis.hook
def map_case(context, case):
    if isinstance(case.body, str) and (ID_MARK in case.body or VARIABLE_MARK in case.body):
        query, variables = _rewrite(case.body)
        case.body = json.dumps({"query": query, "variables": variables}).encode() if variables else query
    return case


# ---------------------------------------------------------------------------------------------
# Signing in
# ---------------------------------------------------------------------------------------------

_session = requests.Session()


def _graphql(
    query: str, variables: dict | None = None, token: str | None = None, client_address: str | None = None
) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if client_address:
        headers["X-Forwarded-For"] = client_address
    response = _session.post(
        f"{BASE_URL}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
    )
    return response.json()


class _Stats:
    """What the run reached, written for the driver to report: how often the principal signed in,
    and per operation how many answers had data and which error codes came back."""

    lock = threading.Lock()
    sign_ins = 0
    failed_sign_ins = 0
    outcomes: dict[str, dict[str, int]] = {}

    @classmethod
    def record(cls, operation: str, outcome: str) -> None:
        with cls.lock:
            counts = cls.outcomes.setdefault(operation, {})
            counts[outcome] = counts.get(outcome, 0) + 1

    @classmethod
    def save(cls) -> None:
        if STATS_PATH:
            with cls.lock:
                snapshot = {
                    "sign_ins": cls.sign_ins,
                    "failed_sign_ins": cls.failed_sign_ins,
                    "outcomes": cls.outcomes,
                }
                with open(STATS_PATH, "w", encoding="utf-8") as file:
                    json.dump(snapshot, file, indent=1, sort_keys=True)


atexit.register(_Stats.save)


LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"

_addresses = itertools.count(random.randrange(1 << 16))


def _fresh_client_address() -> str:
    """An address in the benchmarking range (198.18.0.0/15), only ever named in a header."""
    n = next(_addresses) % (1 << 17)
    return f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"


if EMAIL and PASSWORD:

    @schemathesis.auth(refresh_interval=None)
    class StewardAuth:
        """Signs in once and keeps the token; signs in again only when the session is gone."""

        lock = threading.Lock()
        token: str | None = None
        suspect = False

        def _sign_in(self) -> None:
            with _Stats.lock:
                _Stats.sign_ins += 1
            # Fuzzed wrong passwords count toward this principal's lockout per client IP: each
            # sign-in comes from an address of its own (loopback is a trusted proxy).
            answer = _graphql(LOGIN, {"e": EMAIL, "p": PASSWORD}, client_address=_fresh_client_address())
            token = ((answer.get("data") or {}).get("login") or {}).get("accessToken")
            if token:
                StewardAuth.token = token
            else:
                with _Stats.lock:
                    _Stats.failed_sign_ins += 1
            _Stats.save()

        def get(self, case, context):
            with StewardAuth.lock:
                if StewardAuth.token is None:
                    self._sign_in()
                elif StewardAuth.suspect:
                    StewardAuth.suspect = False
                    alive = _graphql("{ viewer { user { id } } }", token=StewardAuth.token)
                    if alive.get("errors") or not (alive.get("data") or {}).get("viewer"):
                        self._sign_in()
                return StewardAuth.token

        def set(self, case, data, context):
            if data:
                case.headers = dict(case.headers or {})
                case.headers["Authorization"] = f"Bearer {data}"


_calls = 0


@schemathesis.hook
def after_call(context, case, response):
    global _calls
    try:
        payload = response.json()
        errors = payload.get("errors") or []
    except Exception:
        _Stats.record(case.operation.label, f"HTTP {response.status_code}")
        return
    codes = sorted({str((error.get("extensions") or {}).get("code")) for error in errors})
    _Stats.record(case.operation.label, ",".join(codes) if codes else "data")
    if TRACE_PATH:
        body = case.body.decode() if isinstance(case.body, bytes) else case.body
        with _Stats.lock, open(TRACE_PATH, "a", encoding="utf-8") as file:
            file.write(json.dumps({"operation": case.operation.label, "request": body, "response": payload}) + "\n")
    # A fuzzed `logout`, `revokeSessions` or password change may end the principal's own session;
    # the next request checks and signs in again, so the run keeps reaching resolvers.
    if "UNAUTHENTICATED" in codes and EMAIL and PASSWORD:
        StewardAuth.suspect = True
    _calls += 1
    if _calls % 50 == 0:
        _Stats.save()


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


@schemathesis.check
def steward_error_contract(ctx, response, case):
    """No 5xx, no INTERNAL, and every error carries a code from the API contract."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:2000]}")
    try:
        payload = response.json()
    except Exception:
        if response.status_code == 413:
            return None
        raise AssertionError(f"HTTP {response.status_code} with a body that is not JSON: {response.text[:500]}")
    if not isinstance(payload, dict):
        raise AssertionError(f"the response is not a JSON object: {response.text[:500]}")
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL":
            raise AssertionError(f"INTERNAL error: {json.dumps(error)[:2000]}")
        if code not in CONTRACT_CODES:
            raise AssertionError(f"error without a contract code ({code!r}): {json.dumps(error)[:2000]}")
    return None

