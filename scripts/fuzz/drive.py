"""Drives a fuzzing run against a Steward server that is already listening (run.sh starts one).

Each round seeds fresh data through the GraphQL API as the superadmin — three organizations, an org
ADMIN, members with every role, a blocked and a suspended member, a member shared between two
organizations, invitations and API clients — writes their ids to a pool file for the ID strategy,
then runs schemathesis in GraphQL mode twice: signed in as that round's org ADMIN, then as the
superadmin. Fresh data per round keeps a long run exercising resolvers after earlier rounds deleted
or blocked what they found. The server must answer /healthz after every round.

Exits non-zero when schemathesis reports a failure or the server stops answering.
"""

from __future__ import annotations

import argparse
import json
import itertools
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
# Strong enough for the default policy (12 characters, zxcvbn 3) and free of personal information.
MEMBER_PASSWORD = "quartz-harbor-lantern-mosaic-71"
ADMIN_PASSWORD = "copper-glacier-violin-meadow-38"


class SeedError(Exception):
    pass


class Client:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.token: str | None = None

    def call(self, query: str, variables: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.session.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
        )
        payload = response.json()
        if payload.get("errors"):
            raise SeedError(f"{query.split('(')[0].strip()}: {json.dumps(payload['errors'])}")
        return payload["data"]

    def login(self, email: str, password: str) -> None:
        # Fuzzed password checks (changeMyPassword, changeMyEmail) with wrong passwords count
        # toward the principal's lockout, per user and client IP: each sign-in comes from a client
        # address of its own (the server trusts loopback as a proxy) so the principal stays usable.
        self.session.headers["X-Forwarded-For"] = fresh_client_address()
        data = self.call(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            {"e": email, "p": password},
        )
        self.token = data["login"]["accessToken"]


_addresses = itertools.count(random.randrange(1 << 16))


def fresh_client_address() -> str:
    """An address in the benchmarking range (198.18.0.0/15), only ever named in a header."""
    n = next(_addresses) % (1 << 17)
    return f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"


CREATE_ORG = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id slug } }"
CREATE_USER = "mutation($i: CreateUserInput!) { createUser(input: $i) { id email } }"
SET_PASSWORD = """mutation($u: ID!, $p: String!) {
  setUserPassword(userId: $u, password: $p, requireChangeAtNextLogin: false) { id } }"""
VERIFY = "mutation($u: ID!) { setEmailVerified(userId: $u, verified: true) { id } }"
ADD_MEMBER = "mutation($o: ID!, $u: ID!, $r: [OrgRole!]) { addMember(orgId: $o, userId: $u, roles: $r) { status } }"
BLOCK = "mutation($u: ID!) { blockUser(userId: $u, reason: \"fuzz seed\") { id } }"
SUSPEND = "mutation($o: ID!, $u: ID!) { suspendMember(orgId: $o, userId: $u, reason: \"fuzz seed\") { status } }"
INVITE = "mutation($o: ID!, $e: String!, $r: [OrgRole!]) { inviteMember(orgId: $o, email: $e, roles: $r) { id } }"
CREATE_CLIENT = """mutation($o: ID!, $n: String!, $s: [String!]!) {
  createApiClient(orgId: $o, name: $n, scopes: $s) { client { id clientId } clientSecret } }"""


def seed(client: Client, tag: str) -> tuple[dict, dict]:
    """Creates one round's data; answers the id pool and the org admin's credentials."""
    pool: dict[str, list[str]] = {
        "users": [],
        "orgs": [],
        "invitations": [],
        "apiClients": [],
        # Strings the String strategy mixes in: real addresses, slugs, client ids, and the members'
        # password (never a fuzzed principal's own, which a fuzzed changeMyPassword would change).
        "emails": [],
        "slugs": [],
        "clientIds": [],
        "passwords": [MEMBER_PASSWORD],
    }
    orgs = {}
    for name in ("home", "other", "spare"):
        created = client.call(
            CREATE_ORG,
            {
                "i": {
                    "slug": f"fuzz-{name}-{tag}",
                    "name": f"Fuzz {name.title()} {tag}",
                    "metadata": {"plan": "pro", "limits": {"seats": 10}, "tags": ["a", "b"]},
                    "branding": {"displayName": f"Fuzz {name}", "primaryColor": "#336699"},
                }
            },
        )["createOrganization"]
        orgs[name] = created["id"]
        pool["orgs"].append(created["id"])
        pool["slugs"].append(created["slug"])

    def user(org: str, local: str, roles: list[str], password: bool = True, **extra) -> str:
        created = client.call(
            CREATE_USER,
            {
                "i": {
                    "orgId": orgs[org],
                    "email": f"{local}-{tag}@fuzz.test",
                    "roles": roles,
                    "sendInvitation": extra.pop("send_invitation", False),
                    "name": local.replace("-", " ").title(),
                    "userMetadata": {"team": {"name": "core"}, "theme": "dark"},
                    "appMetadata": {"plan": "pro", "flags": [1, 2, 3]},
                    **extra,
                }
            },
        )["createUser"]
        if password:
            client.call(SET_PASSWORD, {"u": created["id"], "p": MEMBER_PASSWORD})
        pool["emails"].append(created["email"])
        return created["id"]

    # The round's org admin signs in for the fuzzer, so their id stays out of the pool: a fuzzed
    # `blockUser` or `deleteUser` on the very principal would end the run's reach.
    admin_email = f"admin-{tag}@fuzz.test"
    admin_id = client.call(
        CREATE_USER,
        {"i": {"orgId": orgs["home"], "email": admin_email, "roles": ["ADMIN"], "sendInvitation": False}},
    )["createUser"]["id"]
    client.call(SET_PASSWORD, {"u": admin_id, "p": ADMIN_PASSWORD})
    client.call(VERIFY, {"u": admin_id})

    members = [
        user("home", "member", ["MEMBER"], username=f"member{tag}", locale="en", phoneNumber="+14155550100"),
        user("home", "manager", ["USER_MANAGER"]),
        user("home", "auditor", ["AUDITOR"]),
        user("home", "second-admin", ["ADMIN"]),
        user("home", "invited", ["MEMBER"], password=False, send_invitation=True),
        user("home", "blocked", ["MEMBER"]),
        user("home", "suspended", ["MEMBER", "AUDITOR"]),
        user("other", "shared", ["MEMBER"]),
        user("other", "outsider", ["ADMIN"]),
        user("spare", "spare", ["MEMBER"]),
    ]
    for member in members:
        client.call(VERIFY, {"u": member})
    pool["users"].extend(members)
    shared = members[7]
    client.call(ADD_MEMBER, {"o": orgs["home"], "u": shared, "r": ["USER_MANAGER"]})
    client.call(BLOCK, {"u": members[5]})
    client.call(SUSPEND, {"o": orgs["home"], "u": members[6]})

    for org in ("home", "other"):
        for role in (["MEMBER"], ["ADMIN", "AUDITOR"]):
            invitation = client.call(
                INVITE, {"o": orgs[org], "e": f"guest-{org}-{'-'.join(role).lower()}-{tag}@fuzz.test", "r": role}
            )["inviteMember"]
            pool["invitations"].append(invitation["id"])
            pool["emails"].append(f"guest-{org}-{'-'.join(role).lower()}-{tag}@fuzz.test")
        created = client.call(
            CREATE_CLIENT, {"o": orgs[org], "n": f"fuzz {org} app", "s": ["users:read", "users:write", "org:read"]}
        )["createApiClient"]
        pool["apiClients"].append(created["client"]["id"])
        pool["clientIds"].append(created["client"]["clientId"])

    return pool, {"email": admin_email, "password": ADMIN_PASSWORD, "home": orgs["home"]}


def graphql_requests(url: str) -> int:
    """POST and GET /graphql requests the server has counted since it started."""
    text = requests.get(f"{url}/metrics", timeout=30).text
    total = 0
    for line in text.splitlines():
        if line.startswith("steward_http_requests_total{") and 'route="/graphql"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def server_errors(url: str) -> int:
    text = requests.get(f"{url}/metrics", timeout=30).text
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line.startswith("steward_http_requests_total{") and re.search(r'status="5\d\d"', line)
    )


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=30).status_code == 200
    except requests.RequestException:
        return False


def run_schemathesis(args, round_dir: Path, label: str, env_extra: dict) -> tuple[int, dict]:
    report_dir = round_dir / label
    report_dir.mkdir(parents=True, exist_ok=True)
    stats_path = report_dir / "auth-stats.json"
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "steward_hooks",
        "PYTHONPATH": str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "STEWARD_FUZZ_URL": args.url,
        "STEWARD_FUZZ_STATS": str(stats_path),
        **({"STEWARD_FUZZ_TRACE": str(report_dir / "trace.jsonl")} if args.trace else {}),
        **env_extra,
    }
    command = [
        args.schemathesis,
        "run",
        f"{args.url}/graphql",
        "--checks",
        "steward_error_contract",
        "--phases",
        args.phases,
        "--mode",
        args.mode,
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.workers),
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--request-timeout",
        "60",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--warnings",
        "off",
    ]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    print(f"--> schemathesis as {label}: {' '.join(command[1:])}", flush=True)
    code = subprocess.call(command, env=env, cwd=report_dir)
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    return code, stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--superadmin-email", required=True)
    parser.add_argument("--superadmin-password", required=True)
    parser.add_argument("--schemathesis", required=True, help="the schemathesis executable")
    parser.add_argument("--steward", required=True, help="the steward executable, for create-admin")
    parser.add_argument("--max-examples", type=int, default=25, help="test cases per operation per principal")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of seeding and fuzzing")
    parser.add_argument(
        "--min-operations", type=int, default=0, help="keep adding rounds until the server has served this many"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phases", default="fuzzing")
    parser.add_argument(
        "--mode", default="positive", help="positive (well-typed requests), negative, or all (both)"
    )
    parser.add_argument("--seed", type=int)
    parser.add_argument("--trace", action="store_true", help="write every request and answer to trace.jsonl")
    parser.add_argument("--report-dir", required=True)
    args = parser.parse_args()
    args.url = args.url.rstrip("/")

    report_root = Path(args.report_dir).resolve()
    report_root.mkdir(parents=True, exist_ok=True)
    superadmin = Client(args.url)
    superadmin.login(args.superadmin_email, args.superadmin_password)
    started = time.monotonic()
    before = graphql_requests(args.url)
    failed: list[str] = []
    sign_ins = 0
    outcomes: dict[str, dict[str, int]] = {}
    round_number = 0
    while round_number < args.rounds or graphql_requests(args.url) - before < args.min_operations:
        round_number += 1
        tag = f"{int(time.time()) % 100000:05d}{round_number}"
        # A round fuzzes the superadmin's own account too (its password, address, sessions, even
        # a block), so each later round gets a fresh superadmin from the command line.
        superadmin_email = args.superadmin_email
        if round_number > 1:
            superadmin_email = f"root{tag}@fuzz.test"
            subprocess.run(
                [args.steward, "create-admin", "--email", superadmin_email, "--password", args.superadmin_password],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        superadmin.login(superadmin_email, args.superadmin_password)
        pool, org_admin = seed(superadmin, tag)
        round_dir = report_root / f"round-{round_number}"
        round_dir.mkdir(parents=True, exist_ok=True)
        pool_path = round_dir / "pool.json"
        pool_path.write_text(json.dumps(pool, indent=2))
        print(f"==> round {round_number}: seeded {sum(len(pool[kind]) for kind in ('users', 'orgs', 'invitations', 'apiClients'))} ids", flush=True)
        for label, email, password in (
            ("org-admin", org_admin["email"], org_admin["password"]),
            ("superadmin", superadmin_email, args.superadmin_password),
        ):
            code, stats = run_schemathesis(
                args,
                round_dir,
                label,
                {"STEWARD_FUZZ_POOL": str(pool_path), "STEWARD_FUZZ_EMAIL": email, "STEWARD_FUZZ_PASSWORD": password},
            )
            sign_ins += stats.get("sign_ins", 0)
            for operation, counts in stats.get("outcomes", {}).items():
                mine = outcomes.setdefault(operation, {})
                for outcome, count in counts.items():
                    mine[outcome] = mine.get(outcome, 0) + count
            if code != 0:
                failed.append(f"round {round_number} as {label}: schemathesis exited {code}")
            if not healthy(args.url):
                failed.append(f"round {round_number} as {label}: /healthz does not answer 200 afterwards")
                break
        if failed and not healthy(args.url):
            break
        print(
            f"==> after round {round_number}: {graphql_requests(args.url) - before} GraphQL requests, "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )

    served = graphql_requests(args.url) - before if healthy(args.url) else -1
    fives = server_errors(args.url) if healthy(args.url) else -1
    answered = sum(sum(counts.values()) for counts in outcomes.values())
    with_data = sum(counts.get("data", 0) for counts in outcomes.values())
    (report_root / "outcomes.json").write_text(json.dumps(outcomes, indent=1, sort_keys=True))
    summary = {
        "rounds": round_number,
        "graphql_requests": served,
        "fuzzed_requests": answered,
        "answered_with_data": with_data,
        "http_5xx": fives,
        "sign_ins": sign_ins,
        "seconds": round(time.monotonic() - started),
        "failures": failed,
    }
    (report_root / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"==> fuzz summary: {json.dumps(summary)}", flush=True)
    return 1 if failed or fives != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
