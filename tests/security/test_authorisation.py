"""The authorisation matrix: who may call what, and where personal data may appear.

Roles, in the column order of every row: anonymous, citizen A (the reporter of the world's
report, in ward X), citizen B, an official of ward X's agency, an official of ward Y's agency,
a supervisor, a planner. `A` = allowed (any answer but 401/403 or a redirect to a sign-in
page: a 400/404/409 means the rules let the caller in and the input decided), `D` = denied,
`H` = denied by hiding (a 404 for something that exists).
The second string marks with `P` the roles that may see the reporter's personal fields
(username, e-mail, phone, first and last name) in that answer; everywhere else none of them
may appear. Every URL pattern of the project must have a row: a new route fails
`test_every_url_pattern_is_in_the_matrix` until its access rules are written down here.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

import mapbox_vector_tile
import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.conftest import CATEGORY, PERSONAL_STRINGS, ROLES, WEST_POINT

LON, LAT = WEST_POINT
NO_PERSONAL = "-------"


@dataclass(frozen=True)
class Row:
    route: str  # "namespace:name" as resolved, or "admin:*"
    method: str
    path: str  # {code} is the world's report
    access: str  # 7 letters, A/D, in ROLES order
    personal: str = NO_PERSONAL  # 7 letters, P where the reporter's data may appear
    body: dict | None = None
    fmt: str = "json"  # json | form


REPORT_BODY = {
    "category": CATEGORY,
    "description": "Rác thải đổ trộm.",
    "location": {"type": "Point", "coordinates": [LON, LAT]},
}
ALL = "AAAAAAA"
SIGNED_IN = "DAAAAAA"
ACTORS_X = "DDDADAD"  # officials of the report's agency, supervisors
ANALYSTS = "DDDDDAA"
CITIZENS = "DAADDDD"
SELF = "-P-----"  # pages greet the signed-in user by name
REPORTER_VIEW = "---P-P-"  # the assigned agency's officials and supervisors
TILE = "/tiles/reports/16/52029/28855.mvt"  # holds WEST_POINT
OPEN311_BODY = {
    "api_key": "{key}",
    "service_code": CATEGORY,
    "lat": str(LAT),
    "long": str(LON),
    "description": "Rác thải đổ trộm.",
}
R = "/api/v1/reports/{code}"

MATRIX: list[Row] = [
    Row("healthz", "GET", "/healthz", ALL),
    Row("schema", "GET", "/api/schema/", ALL),
    Row("api-docs", "GET", "/api/docs/", ALL),
    Row("admin:*", "GET", "/admin/", "DDDDDDD"),
    Row("admin:*", "GET", "/admin/reports/report/", "DDDDDDD"),
    Row("boundaries:lookup", "GET", f"/api/v1/lookup?lat={LAT}&lon={LON}", ALL),
    Row("boundaries:areas", "GET", "/api/v1/areas", ALL),
    Row("boundaries:area-detail", "GET", "/api/v1/areas/00001", ALL),
    Row("reports:category-list", "GET", "/api/v1/categories", ALL),
    Row("reports:agency-list", "GET", "/api/v1/agencies", ALL),
    # The reporter sees their own worklist; their own data is theirs to see.
    Row("reports:my-report-list", "GET", "/api/v1/me/reports", SIGNED_IN),
    Row("reports:report-list", "GET", "/api/v1/reports", ALL),
    # Officials, supervisors and planners are not citizens: they do not file reports.
    Row("reports:report-list", "POST", "/api/v1/reports", CITIZENS, body=REPORT_BODY),
    Row(
        "reports:report-nearby",
        "GET",
        f"/api/v1/reports/nearby?lat={LAT}&lon={LON}&category={CATEGORY}",
        ALL,
    ),
    Row("reports:report-detail", "GET", R, ALL, personal=REPORTER_VIEW),
    Row("reports:report-support", "POST", R + "/support", SIGNED_IN, body={}),
    # Only the reporter and followers answer a resolution (citizen A gets a 409: not resolved).
    Row("reports:report-confirm", "POST", R + "/confirm", "DADDDDD", body={"rating": 5}),
    Row("reports:report-not-fixed", "POST", R + "/not-fixed", "DADDDDD", body={"comment": "x"}),
    Row(
        "reports:report-redact",
        "POST",
        R + "/redact",
        ACTORS_X,
        personal=REPORTER_VIEW,
        body={"target": "description", "reason": "Thông tin cá nhân."},
    ),
    Row(
        "reports:report-transition",
        "POST",
        R + "/transition",
        ACTORS_X,
        personal=REPORTER_VIEW,
        body={"to_status": "in_progress"},
    ),
    Row(
        "reports:report-transfer",
        "POST",
        R + "/transfer",
        ACTORS_X,
        personal=REPORTER_VIEW,
        body={"agency": "ubnd-ward-00002", "reason": "Thuộc phường bên cạnh."},
    ),
    Row(
        "reports:report-note",
        "POST",
        R + "/notes",
        ACTORS_X,
        personal=REPORTER_VIEW,
        body={"note": "Đã liên hệ tổ dân phố."},
    ),
    Row(
        "reports:report-deadline",
        "POST",
        R + "/deadline",
        "DDDDDAD",
        personal=REPORTER_VIEW,
        body={"days": 2, "reason": "Chờ vật tư."},
    ),
    Row("accounts:token", "POST", "/api/v1/auth/token", ALL, body={"username": "x"}),
    # Revoking a token takes the token itself (Authorization: Token); a browser session has
    # none to revoke and signs out at web:signout.
    Row("accounts:token", "DELETE", "/api/v1/auth/token", "DDDDDDD"),
    Row("accounts:register", "POST", "/api/v1/auth/register", ALL, body={"username": "x"}),
    Row("tiles:tile", "GET", TILE, ALL),
    # Any agency member may ask for their agency's tile (ward Y's is empty: 204).
    Row("tiles:tile", "GET", TILE + "?scope=agency", "DDDAADD"),
    Row("tiles:tilejson", "GET", "/tiles/reports.json", ALL),
    Row("analytics:heatmap", "GET", "/api/v1/analytics/heatmap", ALL),
    Row("analytics:hexbins", "GET", "/api/v1/analytics/hexbins", ALL),
    Row("analytics:hotspots", "GET", "/api/v1/analytics/hotspots?method=gistar", ANALYSTS),
    Row("analytics:clusters", "GET", "/api/v1/analytics/clusters", ANALYSTS),
    Row("analytics:performance", "GET", "/api/v1/analytics/performance", ANALYSTS),
    Row("analytics:performance", "GET", "/api/v1/analytics/performance?format=csv", ANALYSTS),
    Row("open311:discovery", "GET", "/open311/v2/discovery.json", ALL),
    Row("open311:service-list", "GET", "/open311/v2/services.json", ALL),
    Row("open311:service", "GET", f"/open311/v2/services/{CATEGORY}.json", ALL),
    Row("open311:request-list", "GET", "/open311/v2/requests.json", ALL),
    Row("open311:request-list", "GET", "/open311/v2/requests.xml", ALL),
    # Open311 writes authenticate by API key, whoever is signed in.
    Row(
        "open311:request-list", "POST", "/open311/v2/requests.json", "DDDDDDD", body={}, fmt="form"
    ),
    Row(
        "open311:request-list",
        "POST",
        "/open311/v2/requests.json",
        ALL,
        body=OPEN311_BODY,
        fmt="form",
    ),
    Row("open311:request", "GET", "/open311/v2/requests/{code}.json", ALL),
    Row("open311:token", "GET", "/open311/v2/tokens/nope.json", ALL),
    Row("open311:unknown", "GET", "/open311/v2/nothing-here.json", ALL),
    Row("media", "GET", "/media/nothing.jpg", ALL),
    Row("web:home", "GET", "/", ALL, personal=SELF),
    Row("web:report-new", "GET", "/report", CITIZENS, personal=SELF),
    Row("web:report-page", "GET", "/r/{code}", ALL, personal=SELF),
    Row("web:signin", "GET", "/signin", ALL, personal=SELF),
    Row("web:signout", "POST", "/signout", ALL, body={}, fmt="form"),
    Row("web:signup", "GET", "/signup", ALL, personal=SELF),
    Row("web:official", "GET", "/official/", "DDDAAAD"),
    # Another ward's official is told the report does not exist on the desk (H: a 404).
    Row("web:official-report", "GET", "/official/r/{code}", "DDDAHAD", personal=REPORTER_VIEW),
    Row("web:planning", "GET", "/planning/", ANALYSTS),
    Row("web:planning-download", "GET", "/planning/hotspots.csv", ANALYSTS),
    Row("web:set_language", "POST", "/i18n/setlang/", ALL, body={"language": "en"}, fmt="form"),
]


def project_routes() -> set[str]:
    """Every route of the URL conf as "namespace:name" (admin as one "admin:*")."""
    names: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if ns == "admin":
                    names.add("admin:*")
                    continue
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or "media"
                names.add(f"{namespace}:{name}" if namespace else name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_pattern_is_in_the_matrix():
    missing = project_routes() - {row.route for row in MATRIX}
    assert not missing, f"routes without access rules in the matrix: {sorted(missing)}"


# Served by django.conf.urls.static only when DEBUG is on (the web server serves it otherwise).
DEBUG_ONLY_ROUTES = {"media"}


def test_the_matrix_names_no_route_that_does_not_exist():
    assert {row.route for row in MATRIX} - project_routes() <= DEBUG_ONLY_ROUTES


def denied(response) -> bool:
    """401/403, or a redirect to a sign-in page."""
    if response.status_code in (401, 403):
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and ("signin" in location or "login" in location)


def personal_strings_in(response) -> list[str]:
    """The reporter's personal strings found in an answer (JSON, XML, HTML, CSV or MVT)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    if response.get("Content-Type", "").startswith("application/vnd.mapbox-vector-tile"):
        text = json.dumps(mapbox_vector_tile.decode(content), ensure_ascii=False, default=str)
    else:
        text = content.decode("utf-8", "replace")
    return [s for s in PERSONAL_STRINGS if s in text]


def clients_for(world) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if world.users[role] is not None:
            client.force_login(world.users[role])
        clients[role] = client
    return clients


def send(client: Client, row: Row, code: str, key: str):
    path = row.path.replace("{code}", code)
    if row.method == "GET":
        return client.get(path)
    if row.fmt == "form":
        return client.post(path, {k: v.replace("{key}", key) for k, v in (row.body or {}).items()})
    return client.generic(
        row.method, path, json.dumps(row.body or {}), content_type="application/json"
    )


@pytest.mark.django_db
def test_every_role_is_allowed_or_denied_exactly_as_the_matrix_says(world):
    """Each (row, role) runs in a savepoint that is rolled back, so one role's action (a
    transition, a transfer) never changes what the next role meets."""
    clients = clients_for(world)
    code = world.report.tracking_code
    mismatches = []
    routes = project_routes()
    for row in MATRIX:
        if row.route not in routes:
            continue
        for i, role in enumerate(ROLES):
            with transaction.atomic():
                response = send(clients[role], row, code, world.open311_key)
                transaction.set_rollback(True)
            if row.route == "web:signout":
                # Signing out replaced the session cookie: sign this role in again.
                clients[role] = clients_for(world)[role]
            if response.status_code >= 500:
                mismatches.append(f"{row.method} {row.path} as {role}: {response.status_code}")
                continue
            got = "D" if denied(response) else "A"
            if row.access[i] == "H" and response.status_code == 404:
                got = "H"
            if got != row.access[i]:
                mismatches.append(
                    f"{row.method} {row.path} as {role}: expected {row.access[i]}, got "
                    f"{response.status_code} {response.content[:120]!r}"
                )
            leaked = personal_strings_in(response)
            if leaked and row.personal[i] != "P":
                mismatches.append(f"{row.method} {row.path} as {role}: shows {leaked}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_the_reporter_is_shown_to_the_handling_agency_and_supervisors_only(world):
    """The report detail carries the reporter block exactly for the official of the
    assigned agency and for supervisors (trust contract)."""
    clients = clients_for(world)
    path = f"/api/v1/reports/{world.report.tracking_code}"
    shown = {role for role in ROLES if "reporter" in clients[role].get(path).json()["properties"]}
    assert shown == {"official_x", "supervisor"}


@pytest.mark.django_db
def test_private_agency_tiles_and_exports_carry_no_personal_fields(world):
    """The agency tile (with its extra fields) and the analytics exports are checked after
    decoding: MVT properties, CSV cells and GeoJSON properties hold none of the reporter's
    personal fields."""
    clients = clients_for(world)
    tile = clients["official_x"].get(TILE + "?scope=agency")
    assert tile.status_code == 200, tile.status_code
    layers = mapbox_vector_tile.decode(tile.content)
    features = layers["reports"]["features"]
    assert [f["properties"]["tracking_code"] for f in features] == [world.report.tracking_code]
    assert personal_strings_in(tile) == []
    for path in (
        "/api/v1/analytics/performance?format=csv",
        "/api/v1/analytics/performance",
        "/api/v1/analytics/hexbins",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/planning/hotspots.csv",
    ):
        response = clients["planner"].get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert personal_strings_in(response) == [], path
