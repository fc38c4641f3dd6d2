"""The bad-input corpus: one table of (endpoint, method, payload, expected statuses).

Every case must be answered with a status in its range (a 4xx unless said otherwise), an
error must carry a message, no row may be written anywhere, and no answer may leak SQL or a
traceback. A few query cases accept 200 where the input is harmless and the right answer is
an empty or unchanged list (e.g. SQL text in a free-text code filter matches nothing); those
still must not write, fail or leak.
"""

from __future__ import annotations

from tests.security.conftest import CATEGORY, EAST_POINT, FAR_POINT, WEST_POINT, Case

R = "/api/v1/reports"
O311 = "/open311/v2/requests.json"
LON, LAT = WEST_POINT
SQL = "' OR '1'='1'; DROP TABLE reports_report; --"
SQL_VALUES = (SQL, "1 UNION SELECT username, password FROM auth_user--", "1;SELECT pg_sleep(5)")
LONG_TEXT = "Rác " * 1300  # 5,200 characters, over the 5,000 limit
HUGE = "x" * 3_000_000  # over DATA_UPLOAD_MAX_MEMORY_SIZE
# JSON text with an escaped lone surrogate: valid JSON syntax, but not encodable as UTF-8.
SURROGATE_REPORT = (
    f'{{"category": "{CATEGORY}", "description": "R\\ud800c", '
    f'"location": {{"type": "Point", "coordinates": [{WEST_POINT[0]}, {WEST_POINT[1]}]}}}}'
)


def report(location=None, **overrides) -> dict:
    """A report body, valid unless overridden."""
    body = {
        "category": CATEGORY,
        "description": "Rác thải đổ trộm ở đầu ngõ.",
        "location": {"type": "Point", "coordinates": [LON, LAT]} if location is None else location,
    }
    body.update(overrides)
    return body


def point(*coordinates) -> dict:
    return {"type": "Point", "coordinates": list(coordinates)}


def _report_create_cases() -> list[Case]:
    coords = {
        "longitude out of range": point(200.0, LAT),
        "latitude out of range": point(LON, 95.0),
        "negative latitude out of range": point(LON, -90.0001),
        "NaN longitude": point(float("nan"), LAT),
        "NaN latitude": point(LON, float("nan")),
        "Infinity": point(float("inf"), LAT),
        "-Infinity": point(LON, float("-inf")),
        "1e308": point(1e308, 1e308),
        "lat and lon swapped": point(LAT, LON),
        "outside the city": point(*FAR_POINT),
        "null island": point(0.0, 0.0),
        "coordinates as strings": {"type": "Point", "coordinates": [str(LON), str(LAT)]},
        "booleans as coordinates": point(True, False),
        "one coordinate": point(LON),
        "four coordinates": point(LON, LAT, 0, 0),
        "no coordinates": {"type": "Point"},
        "nested coordinates": point([LON, LAT]),
        "a polygon where a point is expected": {
            "type": "Polygon",
            "coordinates": [[[LON, LAT], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT]]],
        },
        "a Feature where a point is expected": {
            "type": "Feature",
            "geometry": point(LON, LAT),
            "properties": {},
        },
        "a point with a crs member": {
            **point(LON, LAT),
            "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
        },
        "a point with a file crs": {
            **point(LON, LAT),
            "crs": {"type": "link", "properties": {"href": "/etc/passwd"}},
        },
        "WKT text": f"POINT({LON} {LAT})",
        "EWKT with a remote SRS": f"SRID=4326;POINT({LON} {LAT})",
        "GeoJSON text over 1000 characters": '{"type":"Point","coordinates":[' + "1," * 600 + "1]}",
        "huge coordinate list": point(*([LON] * 200_000)),
        "location is a list": [LON, LAT],
        "location is a number": 105.8,
    }
    cases = [
        Case(f"report create: {name}", "POST", R, json=report(location=loc))
        for name, loc in coords.items()
    ]
    cases += [
        Case(
            "report create: no location for an on-site category",
            "POST",
            R,
            json={k: v for k, v in report().items() if k != "location"},
        ),
        Case("report create: unknown category", "POST", R, json=report(category="khong-co")),
        Case("report create: category is a list", "POST", R, json=report(category=[CATEGORY])),
        Case("report create: category is null", "POST", R, json=report(category=None)),
        Case(
            "report create: description over the limit",
            "POST",
            R,
            json=report(description=LONG_TEXT),
        ),
        Case(
            "report create: description of a million characters",
            "POST",
            R,
            json=report(description="a" * 1_000_000),
        ),
        Case("report create: empty description", "POST", R, json=report(description="")),
        Case(
            "report create: description of control characters only",
            "POST",
            R,
            json=report(description="\x00\x01\x02\x1b\x7f"),
        ),
        Case("report create: description of NUL only", "POST", R, json=report(description="\x00")),
        Case(
            "report create: lone surrogate in the description",
            "POST",
            R,
            body=SURROGATE_REPORT,
            content_type="application/json",
        ),
        Case(
            "report create: lone low surrogate in the category",
            "POST",
            R,
            body='{"category": "\\udfff", "description": "x", "location": null}',
            content_type="application/json",
        ),
        Case("report create: accuracy NaN", "POST", R, json=report(accuracy_m=float("nan"))),
        Case("report create: accuracy negative", "POST", R, json=report(accuracy_m=-5)),
        Case("report create: accuracy 1e308", "POST", R, json=report(accuracy_m=1e308)),
        Case(
            "report create: idempotency key with control characters",
            "POST",
            R,
            json=report(),
            headers={"Idempotency-Key": "abc\x01def"},
        ),
        Case(
            "report create: idempotency key of 300 characters",
            "POST",
            R,
            json=report(),
            headers={"Idempotency-Key": "k" * 300},
        ),
        Case("report create: anonymous", "POST", R, role="anonymous", json=report()),
        Case(
            "report create: invalid JSON",
            "POST",
            R,
            body='{"category": ',
            content_type="application/json",
        ),
        Case(
            "report create: JSON array body", "POST", R, body="[]", content_type="application/json"
        ),
        Case(
            "report create: JSON string body",
            "POST",
            R,
            body='"report"',
            content_type="application/json",
        ),
        Case(
            "report create: invalid UTF-8",
            "POST",
            R,
            body=b'{"category": "\xff\xfe"}',
            content_type="application/json",
        ),
        Case(
            "report create: text/plain body",
            "POST",
            R,
            body="category=x",
            content_type="text/plain",
        ),
        Case(
            "report create: XML body",
            "POST",
            R,
            body='<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<r>&x;</r>",
            content_type="application/xml",
        ),
        Case("report create: oversize JSON body", "POST", R, json=report(description=HUGE)),
        Case(
            "report create: oversize form body",
            "POST",
            R,
            data={"description": HUGE},
            fmt="multipart",
        ),
        Case(
            "report create: form with a polygon as location",
            "POST",
            R,
            data={
                "category": CATEGORY,
                "description": "x",
                "location": '{"type":"Polygon","coordinates":[]}',
            },
            fmt="multipart",
        ),
        Case(
            "report create: form with NaN location",
            "POST",
            R,
            data={
                "category": CATEGORY,
                "description": "x",
                "location": '{"type":"Point","coordinates":[NaN, 21]}',
            },
            fmt="multipart",
        ),
    ]
    return cases


def _query_cases() -> list[Case]:
    bad_bboxes = {
        "inverted": "105.9,21.1,105.8,21.0",
        "NaN": "NaN,21,105.9,21.1",
        "Infinity": "105.8,21,Infinity,21.1",
        "1e308": "1e308,1e308,1e308,1e308",
        "three numbers": "105.8,21,105.9",
        "out of range": "-200,-100,200,100",
        "words": "a,b,c,d",
    }
    cases = [
        Case(f"report list: bbox {name}", "GET", f"{R}?in_bbox={value}", role="anonymous")
        for name, value in bad_bboxes.items()
    ]
    cases.append(
        # A bbox of the whole world is a legitimate (paginated) question.
        Case(
            "report list: world-sized bbox",
            "GET",
            f"{R}?in_bbox=-180,-90,180,90",
            role="anonymous",
            expect=(200, 200),
        )
    )
    cases += [
        Case("report list: near NaN", "GET", f"{R}?near=NaN,21&radius_m=100", role="anonymous"),
        Case(
            "report list: near out of range",
            "GET",
            f"{R}?near=500,21&radius_m=100",
            role="anonymous",
        ),
        Case(
            "report list: radius negative",
            "GET",
            f"{R}?near={LON},{LAT}&radius_m=-1",
            role="anonymous",
        ),
        Case(
            "report list: radius 1e308",
            "GET",
            f"{R}?near={LON},{LAT}&radius_m=1e308",
            role="anonymous",
        ),
        Case(
            "report list: radius Infinity",
            "GET",
            f"{R}?near={LON},{LAT}&radius_m=Infinity",
            role="anonymous",
        ),
        Case(
            "report list: page size 1e9",
            "GET",
            f"{R}?page_size=1000000000",
            role="anonymous",
            expect=(200, 200),
        ),
        Case("report list: page 1e9", "GET", f"{R}?page=1000000000", role="anonymous"),
        Case("report list: since not a date", "GET", f"{R}?since=2026-13-45", role="anonymous"),
        Case("report list: status with a NUL", "GET", f"{R}?status=received%00", role="anonymous"),
    ]
    for i, value in enumerate(SQL_VALUES):
        from urllib.parse import quote

        q = quote(value)
        cases += [
            Case(f"report list: SQL {i} in status", "GET", f"{R}?status={q}", role="anonymous"),
            Case(f"report list: SQL {i} in category", "GET", f"{R}?category={q}", role="anonymous"),
            Case(f"report list: SQL {i} in agency", "GET", f"{R}?agency={q}", role="anonymous"),
            # area is a free code: SQL text is just a code that matches nothing.
            Case(
                f"report list: SQL {i} in area",
                "GET",
                f"{R}?area={q}",
                role="anonymous",
                expect=(200, 499),
            ),
            Case(f"report list: SQL {i} in since", "GET", f"{R}?since={q}", role="anonymous"),
            Case(f"report list: SQL {i} in page", "GET", f"{R}?page={q}", role="anonymous"),
            Case(f"report list: SQL {i} in in_bbox", "GET", f"{R}?in_bbox={q}", role="anonymous"),
            Case(f"my reports: SQL {i} in status", "GET", f"/api/v1/me/reports?status={q}"),
            Case(f"report detail: SQL {i} in the code", "GET", f"{R}/{q}", role="anonymous"),
            Case(
                f"lookup: SQL {i} in lat",
                "GET",
                f"/api/v1/lookup?lat={q}&lon={LON}",
                role="anonymous",
            ),
            Case(
                f"lookup: SQL {i} in generation",
                "GET",
                f"/api/v1/lookup?lat={LAT}&lon={LON}&generation={q}",
                role="anonymous",
            ),
            Case(f"areas: SQL {i} in level", "GET", f"/api/v1/areas?level={q}", role="anonymous"),
            Case(
                f"areas: SQL {i} in generation",
                "GET",
                f"/api/v1/areas?generation={q}",
                role="anonymous",
            ),
            Case(
                f"area detail: SQL {i} in the code", "GET", f"/api/v1/areas/{q}", role="anonymous"
            ),
            Case(
                f"analytics hexbins: SQL {i} in category",
                "GET",
                f"/api/v1/analytics/hexbins?category={q}",
                role="anonymous",
            ),
            Case(
                f"analytics heatmap: SQL {i} in since",
                "GET",
                f"/api/v1/analytics/heatmap?since={q}",
                role="anonymous",
            ),
            Case(
                f"analytics performance: SQL {i} in by",
                "GET",
                f"/api/v1/analytics/performance?by={q}",
                role="planner",
            ),
            Case(
                f"analytics hotspots: SQL {i} in method",
                "GET",
                f"/api/v1/analytics/hotspots?method={q}",
                role="planner",
            ),
            Case(
                f"analytics clusters: SQL {i} in eps_m",
                "GET",
                f"/api/v1/analytics/clusters?eps_m={q}",
                role="planner",
            ),
            Case(
                f"tiles: SQL {i} in category",
                "GET",
                f"/tiles/reports/16/52037/28851.mvt?category={q}",
                role="anonymous",
            ),
            Case(
                f"tiles: SQL {i} in generation",
                "GET",
                f"/tiles/areas/12/3252/1803.mvt?generation={q}",
                role="anonymous",
            ),
            Case(
                f"open311 requests: SQL {i} in status",
                "GET",
                f"{O311}?status={q}",
                role="anonymous",
            ),
            Case(
                f"open311 requests: SQL {i} in start_date",
                "GET",
                f"{O311}?start_date={q}",
                role="anonymous",
            ),
            Case(
                f"open311 requests: SQL {i} in service_code",
                "GET",
                f"{O311}?service_code={q}",
                role="anonymous",
            ),
        ]
    lookups = {
        "NaN": f"lat=NaN&lon={LON}",
        "Infinity": f"lat={LAT}&lon=Infinity",
        "1e308": "lat=1e308&lon=1e308",
        "swapped": f"lat={LON}&lon={LAT}",
        "missing lon": f"lat={LAT}",
        "empty": "lat=&lon=",
    }
    cases += [
        Case(f"lookup: {name}", "GET", f"/api/v1/lookup?{q}", role="anonymous")
        for name, q in lookups.items()
    ]
    cases += [
        Case(
            "lookup: outside the city",
            "GET",
            f"/api/v1/lookup?lat={FAR_POINT[1]}&lon={FAR_POINT[0]}",
            role="anonymous",
            expect=(200, 499),
        ),
        Case(
            "areas: inverted bbox",
            "GET",
            "/api/v1/areas?in_bbox=105.9,21.1,105.8,21.0",
            role="anonymous",
        ),
        Case("areas: NaN bbox", "GET", "/api/v1/areas?in_bbox=NaN,NaN,NaN,NaN", role="anonymous"),
    ]
    tiles = {
        "zoom 25": "/tiles/reports/25/0/0.mvt",
        "negative zoom": "/tiles/reports/-1/0/0.mvt",
        "x beyond the zoom": "/tiles/reports/3/8/0.mvt",
        "negative y": "/tiles/reports/3/0/-1.mvt",
        "huge zoom": "/tiles/reports/999999999/0/0.mvt",
        "huge x": "/tiles/hexbins/18/999999999999/0.mvt",
        "unknown layer": "/tiles/secrets/1/0/0.mvt",
        "bad status filter": "/tiles/reports/12/3252/1803.mvt?status=deleted",
        "bad since filter": "/tiles/reports/12/3252/1803.mvt?since=yesterday",
        "private scope anonymously": "/tiles/reports/12/3252/1803.mvt?scope=agency",
    }
    cases += [Case(f"tiles: {name}", "GET", path, role="anonymous") for name, path in tiles.items()]
    analytics = {
        "cell_m NaN": "hexbins?cell_m=NaN",
        "cell_m 1e308": "hexbins?cell_m=1e308",
        "cell_m negative": "heatmap?cell_m=-250",
        "bandwidth Infinity": "heatmap?bandwidth_m=Infinity",
        "since after until": "hexbins?since=2026-06-01&until=2026-01-01",
        "unknown parameter": "hexbins?foo=1",
        "control characters": "hexbins?category=%01%02",
        "lone surrogate": "hexbins?category=%ED%A0%80",
    }
    cases += [
        Case(f"analytics: {name}", "GET", f"/api/v1/analytics/{q}", role="anonymous")
        for name, q in analytics.items()
    ]
    cases += [
        Case(
            "open311 requests: too many ids",
            "GET",
            f"{O311}?service_request_id=" + ",".join(["A"] * 5000),
            role="anonymous",
            expect=(200, 499),
        ),
        Case(
            "open311 requests: end before start",
            "GET",
            f"{O311}?start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
            role="anonymous",
        ),
        Case("open311 requests: NUL in status", "GET", f"{O311}?status=open%00", role="anonymous"),
    ]
    return cases


def _workflow_cases() -> list[Case]:
    t, tr, dl = f"{R}/{{code}}/transition", f"{R}/{{code}}/transfer", f"{R}/{{code}}/deadline"
    return [
        Case(
            "transition: unknown status",
            "POST",
            t,
            role="official_x",
            json={"to_status": "deleted"},
        ),
        Case("transition: SQL status", "POST", t, role="official_x", json={"to_status": SQL}),
        Case(
            "transition: note over the limit",
            "POST",
            t,
            role="official_x",
            json={"to_status": "in_progress", "note": "n" * 2001},
        ),
        Case(
            "transition: duplicate of SQL",
            "POST",
            t,
            role="official_x",
            json={"to_status": "duplicate", "duplicate_of": SQL},
        ),
        Case(
            "transition: duplicate of itself",
            "POST",
            t,
            role="official_x",
            json={"to_status": "duplicate", "duplicate_of": "{code}"},
        ),
        Case(
            "transition: lone surrogate note",
            "POST",
            t,
            role="official_x",
            body='{"to_status": "in_progress", "note": "\\ud800"}',
            content_type="application/json",
        ),
        Case(
            "transition: by another ward's official",
            "POST",
            t,
            role="official_y",
            json={"to_status": "in_progress"},
        ),
        Case(
            "transition: by the reporter",
            "POST",
            t,
            role="citizen_a",
            json={"to_status": "in_progress"},
        ),
        Case(
            "transition: unknown report",
            "POST",
            f"{R}/NOPE0000/transition",
            role="official_x",
            json={"to_status": "in_progress"},
        ),
        Case(
            "transfer: unknown agency",
            "POST",
            tr,
            role="official_x",
            json={"agency": "khong-co", "reason": "x"},
        ),
        Case(
            "transfer: SQL agency",
            "POST",
            tr,
            role="official_x",
            json={"agency": SQL, "reason": "x"},
        ),
        Case(
            "transfer: empty reason",
            "POST",
            tr,
            role="official_x",
            json={"agency": "ubnd-ward-00002", "reason": ""},
        ),
        Case(
            "transfer: reason of control characters",
            "POST",
            tr,
            role="official_x",
            json={"agency": "ubnd-ward-00002", "reason": "\x00\x01"},
        ),
        Case(
            "deadline: 1e308 days",
            "POST",
            dl,
            role="supervisor",
            json={"days": 1e308, "reason": "x"},
        ),
        Case(
            "deadline: NaN days",
            "POST",
            dl,
            role="supervisor",
            json={"days": float("nan"), "reason": "x"},
        ),
        Case(
            "deadline: negative days",
            "POST",
            dl,
            role="supervisor",
            json={"days": -3, "reason": "x"},
        ),
        Case(
            "deadline: days as text",
            "POST",
            dl,
            role="supervisor",
            json={"days": "ba", "reason": "x"},
        ),
        Case(
            "deadline: by a citizen", "POST", dl, role="citizen_b", json={"days": 2, "reason": "x"}
        ),
    ]


def _account_cases() -> list[Case]:
    reg, tok = "/api/v1/auth/register", "/api/v1/auth/token"

    def person(**overrides):
        body = {
            "username": "moi_nguoi",
            "password": "Ho-Guom-Xanh-2025",
            "email": "moi@example.vn",
            "phone": "0912345678",
        }
        body.update(overrides)
        return body

    cases = [
        Case(
            "register: numeric password",
            "POST",
            reg,
            role="anonymous",
            json=person(password="12345678901"),
        ),
        Case(
            "register: short password", "POST", reg, role="anonymous", json=person(password="a1!")
        ),
        Case(
            "register: common password",
            "POST",
            reg,
            role="anonymous",
            json=person(password="password123"),
        ),
        Case(
            "register: password like the username",
            "POST",
            reg,
            role="anonymous",
            json=person(username="hoguomxanh2025", password="hoguomxanh2025"),
        ),
        Case(
            "register: existing username",
            "POST",
            reg,
            role="anonymous",
            json=person(username="citizen_b_minh"),
        ),
        Case("register: SQL username", "POST", reg, role="anonymous", json=person(username=SQL)),
        Case(
            "register: username with RTL override",
            "POST",
            reg,
            role="anonymous",
            json=person(username="abc\u202egnp"),
        ),
        Case(
            "register: username with a NUL",
            "POST",
            reg,
            role="anonymous",
            json=person(username="abc\x00def"),
        ),
        Case(
            "register: username of 1000 characters",
            "POST",
            reg,
            role="anonymous",
            json=person(username="u" * 1000),
        ),
        Case(
            "register: lone surrogate username",
            "POST",
            reg,
            role="anonymous",
            body='{"username": "a\\ud800", "password": "Ho-Guom-Xanh-2025", '
            '"email": "x@example.vn"}',
            content_type="application/json",
        ),
        Case(
            "register: bad e-mail", "POST", reg, role="anonymous", json=person(email="not-an-email")
        ),
        Case(
            "register: HTML e-mail",
            "POST",
            reg,
            role="anonymous",
            json=person(email="<script>alert(1)</script>@example.vn"),
        ),
        Case("register: bad phone", "POST", reg, role="anonymous", json=person(phone="call me")),
        Case(
            "register: first name over the limit",
            "POST",
            reg,
            role="anonymous",
            json=person(first_name="A" * 151),
        ),
        Case(
            "register: invalid JSON",
            "POST",
            reg,
            role="anonymous",
            body="{",
            content_type="application/json",
        ),
        Case(
            "register: wrong content type",
            "POST",
            reg,
            role="anonymous",
            body="username=a",
            content_type="text/csv",
        ),
        Case(
            "token: wrong password",
            "POST",
            tok,
            role="anonymous",
            json={"username": "citizen_b_minh", "password": "wrong"},
        ),
        Case(
            "token: username as a list",
            "POST",
            tok,
            role="anonymous",
            json={"username": ["a"], "password": "x"},
        ),
        Case(
            "token: SQL username",
            "POST",
            tok,
            role="anonymous",
            json={"username": SQL, "password": SQL},
        ),
        Case(
            "token: lone surrogate",
            "POST",
            tok,
            role="anonymous",
            body='{"username": "\\ud800", "password": "x"}',
            content_type="application/json",
        ),
        Case(
            "token: oversize body",
            "POST",
            tok,
            role="anonymous",
            json={"username": HUGE, "password": "x"},
        ),
    ]
    return cases


def _open311_cases() -> list[Case]:
    def submit(**overrides):
        body = {
            "api_key": "{key}",
            "service_code": CATEGORY,
            "lat": str(LAT),
            "long": str(LON),
            "description": "Rác thải đổ trộm.",
            "email": "hoa@example.vn",
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    values = {
        "lat NaN": submit(lat="NaN"),
        "long Infinity": submit(long="Infinity"),
        "lat 1e308": submit(lat="1e308", long="1e308"),
        "lat and long swapped": submit(lat=str(LON), long=str(LAT)),
        "outside the city": submit(lat=str(FAR_POINT[1]), long=str(FAR_POINT[0])),
        "null island": submit(lat="0", long="0"),
        "lat without long": submit(long=None),
        "lat as words": submit(lat="twenty-one"),
        "unknown service": submit(service_code="khong-co"),
        "SQL service": submit(service_code=SQL),
        "no api key": submit(api_key=None),
        "wrong api key": submit(api_key="not-a-key"),
        "SQL api key": submit(api_key=SQL),
        "description over the limit": submit(description=LONG_TEXT),
        "description of control characters": submit(description="\x00\x01\x02"),
        "bad e-mail": submit(email="hoa@"),
        "bad phone": submit(phone="gọi tôi"),
        "javascript media_url": submit(media_url="javascript:alert(1)"),
        "attribute garbage": submit(**{"attribute[<script>]": "x"}),
        "no location and no address": submit(lat=None, long=None),
    }
    cases = [
        Case(f"open311 post: {name}", "POST", O311, role="anonymous", data=data, fmt="urlencoded")
        for name, data in values.items()
    ]
    cases += [
        Case(
            "open311 post: JSON body",
            "POST",
            O311,
            role="anonymous",
            json=submit(),
            expect=(400, 499),
        ),
        Case(
            "open311 post: oversize body",
            "POST",
            O311,
            role="anonymous",
            data=submit(description=HUGE),
            fmt="urlencoded",
        ),
        Case(
            "open311 post: XML body",
            "POST",
            "/open311/v2/requests.xml",
            role="anonymous",
            body="<service_request/>",
            content_type="text/xml",
        ),
    ]
    return cases


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims width × height pixels (900 million): a decompression
    bomb. Made from a real 1×1 PNG with its IHDR size and CRC rewritten."""
    import struct
    import zlib
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def _photo_cases() -> list[Case]:
    jpeg = _jpeg()
    form = {
        "category": CATEGORY,
        "description": "Rác thải đổ trộm.",
        "location": f'{{"type": "Point", "coordinates": [{LON}, {LAT}]}}',
    }
    photos = {
        "not an image": (("note.jpg", b"just some text, not a photo", "image/jpeg"),),
        "empty file": (("empty.jpg", b"", "image/jpeg"),),
        "truncated JPEG": (("cut.jpg", jpeg[: len(jpeg) // 3], "image/jpeg"),),
        "decompression bomb": (("bomb.png", _png_bomb(), "image/png"),),
        "GIF/JavaScript polyglot": (
            ("poly.gif", b"GIF89a/*\x01\x00\x01\x00\x00\x00;*/=1;alert(1)//", "image/gif"),
        ),
        "SVG with a script": (
            (
                "x.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "image/svg+xml",
            ),
        ),
        "HTML named .jpg": (("page.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),),
        "too many": tuple((f"p{i}.jpg", jpeg, "image/jpeg") for i in range(5)),
        "too big": (("big.jpg", jpeg + b"\0" * (10 * 1024 * 1024), "image/jpeg"),),
    }
    return [
        Case(f"report photos: {name}", "POST", R, data=form, files=files)
        for name, files in photos.items()
    ]


CASES: list[Case] = [
    *_photo_cases(),
    # Invisible text: format characters (zero-width joiners/spaces) only.
    Case(
        "report create: description of zero-width characters only",
        "POST",
        R,
        json=report(description="\u200d\u200d\u200b"),
    ),
    *_report_create_cases(),
    *_query_cases(),
    *_workflow_cases(),
    *_account_cases(),
    *_open311_cases(),
]
# East ward stays untouched by every case: a reference point for the matrix tests.
_ = EAST_POINT
