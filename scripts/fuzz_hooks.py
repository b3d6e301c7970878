"""Schemathesis hooks of scripts/fuzz (schemathesis 4.32.5, pinned there).

1. Every phase: a real client sends a new Idempotency-Key with each new request.
2. The stateful phase walks real resource lifecycles: it starts its scenarios only from the
   operations that begin one (a role's lists and the creates it may make; ENTRY below), and
   those start from real data: a list is asked for its first page with no random filter (a
   random filter finds nothing, and the link to "the first item" then leads nowhere), and a
   create names things that exist (the demo data's province, organizations, the evaluation's
   span, a report that is due), looked up once through the API with the role's own token.
   Everything after a scenario's first step follows the contract's links
   (src/http/openapi/links.rs) with the ids and ETags of real responses.

Only positive stateful cases are touched; negative ones and the other phases keep what
schemathesis generates (random ids, random filters, broken bodies), so refusing those is still
tested. Nothing here changes a check.

Environment (set by scripts/fuzz): FUZZ_BASE_URL (http://127.0.0.1:PORT), FUZZ_TOKEN.
"""

import base64
import json
import os
import re
import urllib.request
import uuid
import zlib

import schemathesis
from schemathesis.specs.openapi import stateful as _stateful

KEY = re.compile(r"[!-~]{1,255}")
API = "/api/v1"


@schemathesis.hook
def map_headers(context, headers):
    # Schemathesis reuses a generated Idempotency-Key (often the schema's example) with other
    # bodies; the service rightly answers 422 idempotency-key-reused. A real client makes a
    # key per request, so each generated valid key becomes a fresh UUID (still valid); an
    # invalid one is left alone, so that refusing it is still tested.
    for name, value in list((headers or {}).items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and KEY.fullmatch(value):
            headers[name] = str(uuid.uuid4())
    return headers


# --- The role, from its token (the same claims the service reads). -------------------------


def _claims():
    token = os.environ.get("FUZZ_TOKEN", "")
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


ROLE = _claims().get("role", "")

# Where a scenario may start, per role: lists (their first page leads to real items) and the
# creates the role may make. Every other operation is reached through a link from an earlier
# response, so it gets a real id and, where it takes one, the ETag that goes with it.
LISTS = [f"GET {API}/evaluations", f"GET {API}/submissions"]
ENTRY = {
    "admin": LISTS + [f"POST {API}/evaluations", f"POST {API}/indicators", f"POST {API}/users", f"POST {API}/organizations"],
    "province_admin": LISTS
    + [f"POST {API}/evaluations", f"POST {API}/indicators", f"POST {API}/users", f"POST {API}/organizations"],
    "agency_officer": LISTS + [f"POST {API}/submissions", f"GET {API}/organizations"],
    "supervisor": LISTS + [f"GET {API}/organizations"],
    "viewer": LISTS + [f"GET {API}/organizations"],
    "integration": LISTS + [f"GET {API}/organizations", f"GET {API}/indicators"],
}.get(ROLE, LISTS)

# Schemathesis 4.32.5 starts scenarios from every operation with outgoing links that is a POST
# or a GET without path parameters ("reliable roots"), including the workflow steps
# `POST /submissions/{id}/submit|approve|return` with a random id (404). It has no setting
# for this; the classification is one module-level function, narrowed here to ENTRY. The
# others stay in the state machine as link targets; if none of ENTRY had links, schemathesis
# would fall back to them.
_likely_root = _stateful.is_likely_root_transition


def _entry_only(operation, node, produced_anywhere):
    return operation.label in ENTRY and _likely_root(operation, node, produced_anywhere)


_stateful.is_likely_root_transition = _entry_only


# --- Real data, looked up once through the API with the role's token. ----------------------

_cache = {}


def _get(path):
    if path not in _cache:
        request = urllib.request.Request(
            os.environ["FUZZ_BASE_URL"] + API + path,
            headers={"Authorization": "Bearer " + os.environ.get("FUZZ_TOKEN", "")},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                _cache[path] = json.load(response)
        except (OSError, ValueError):
            _cache[path] = None
    return _cache[path]


def _me():
    return _get("/me") or {}


def _province_id():
    province = _me().get("province") or {}
    if province.get("id"):
        return province["id"]
    items = (_get("/organizations?kind=province&limit=100") or {}).get("items") or []
    return items[0]["id"] if items else None


def _organization_ids():
    items = (_get("/organizations?limit=100") or {}).get("items") or []
    return [item["id"] for item in items if item.get("kind") != "country"]


def _digest(seed):
    # Deterministic in what Hypothesis drew, so a replayed scenario (and a rerun with the same
    # --seed) sends the same request.
    return zlib.crc32(json.dumps(seed, sort_keys=True, default=str).encode())


def _draft_components():
    # (evaluation, component) pairs of draft evaluations: indicators are added only to a draft,
    # and only under one of its components. The stateful phase makes them (a created
    # evaluation's link to create_component), so this is looked up afresh each time.
    pairs = []
    drafts = (_get("/evaluations?status=draft&limit=100") or {}).get("items") or []
    _cache.pop("/evaluations?status=draft&limit=100", None)
    for evaluation in drafts[-5:]:
        path = f"/evaluations/{evaluation['id']}/components"
        components = (_get(path) or {}).get("items") or []
        _cache.pop(path, None)
        pairs += [(evaluation["id"], component["id"]) for component in components]
    return pairs


# What a list's first page is asked for: its first item then leads somewhere (an agency has
# assignments and a work list; a country has neither), and a report's workflow step meets a
# report in the state it needs in some scenarios.
LIST_QUERIES = {
    f"GET {API}/organizations": [{"kind": "agency"}],
    f"GET {API}/submissions": [{}, {"status": "draft"}, {"status": "submitted"}, {"status": "returned"}],
}


def _pick(values, seed):
    return values[_digest(seed) % len(values)] if values else None


def _months(start, end):
    (year, month), (end_year, end_month) = (map(int, start.split("-")), map(int, end.split("-")))
    out = []
    while (year, month) <= (end_year, end_month) and len(out) < 240:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _unique(prefix):
    # A name that must be unique gets a fresh one per request, not one derived from the draw:
    # Hypothesis replays a scenario's draws, and a replayed create that meets its own earlier
    # row (409 instead of 201) changes what follows, which Hypothesis reports as inconsistent
    # data generation and ends the stateful phase early.
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def _is_positive_stateful(case):
    meta = case.meta
    if meta is None:
        return False
    phase = getattr(meta.phase.name, "value", meta.phase.name)
    return phase == "stateful" and not meta.generation.mode.is_negative


def _seed(case):
    return [case.body, case.query, case.path_parameters]


@schemathesis.hook
def map_case(context, case):
    if not _is_positive_stateful(case):
        return case
    label = case.operation.label
    body = case.body if isinstance(case.body, dict) else None

    if case.operation.method.lower() == "get" and not case.path_parameters and label in ENTRY:
        # A scenario's first page: no filter, no cursor, the default page size. Lists take
        # their filters from a link (`list_indicators?evaluation_id=`) only as path ids.
        case.query = dict(_pick(LIST_QUERIES.get(label, [{}]), _seed(case)))
    elif label == f"POST {API}/evaluations" and body is not None:
        province = _province_id()
        if province is not None:
            body["province_id"] = province
        # Reporting span: the fiscal year's (the service's default), so rounds fit in it.
        body.pop("reporting_start", None)
        body.pop("reporting_end", None)
    elif label == f"POST {API}/users" and body is not None:
        organization = _pick(_organization_ids(), _seed(case))
        if organization is not None:
            body["organization_id"] = organization
        body["username"] = _unique("fz.").lower()
    elif label == f"POST {API}/organizations" and body is not None:
        # Not a province (its code must be its ISO 3166-2:TH code) and not a country: an agency
        # under the role's province, with a code of its own.
        body["kind"] = "agency"
        body["parent_id"] = _province_id()
        body["code"] = _unique("FZ-")
    elif label == f"POST {API}/submissions" and body is not None:
        # A report that is due (nothing filed yet), from the role's organization's work list.
        organization = (_me().get("organization") or {}).get("id")
        _cache.pop(f"/organizations/{organization}/due", None)  # it changes as reports are filed
        due = ((_get(f"/organizations/{organization}/due") or {}).get("items") or []) if organization else []
        open_items = [item for item in due if not item.get("submission_id")] or due
        item = _pick(open_items, _seed(case))
        if item is not None:
            body["indicator_id"] = item["indicator_id"]
            body["organization_id"] = organization
            body["period"] = item["period"]
            body.pop("status", None)
    elif label == f"POST {API}/indicators" and body is not None:
        pair = _pick(_draft_components(), _seed(case))
        if pair is not None:
            body["evaluation_id"], body["component_id"] = pair
        # 2-10 breakpoints with values strictly monotonic and scores strictly increasing.
        body["criteria"] = [{"value": 10.0 * (n + 1), "score": 1.0 + n} for n in range(2 + _digest(_seed(case)) % 4)]
        body["code"] = _unique("FZ.")
    elif label == f"POST {API}/evaluations/{{id}}/components" and body is not None:
        body["code"] = _unique("C")
    elif label == f"POST {API}/indicators/{{id}}/assignments" and body is not None:
        organization = _pick(_organization_ids(), _seed(case))
        if organization is not None:
            body["organization_id"] = organization
    elif label == f"POST {API}/rounds/{{id}}/snapshots":
        # 'as_of' must not be later than now; without it the snapshot is of now.
        case.query = {key: value for key, value in (case.query or {}).items() if key != "as_of"}
    elif label == f"POST {API}/evaluations/{{id}}/rounds" and body is not None:
        # A round's window lies inside its evaluation's span.
        evaluation = _get(f"/evaluations/{case.path_parameters.get('id')}") if case.path_parameters else None
        if evaluation and evaluation.get("reporting_start") and evaluation.get("reporting_end"):
            months = _months(evaluation["reporting_start"], evaluation["reporting_end"])
            first = _pick(months, _seed(case))
            body["start_period"] = first
            body["end_period"] = _pick([m for m in months if m >= first], [_seed(case), 1])
        body["name"] = _unique("round ")
    return case

