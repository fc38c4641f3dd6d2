"""A citizen's JSON filing in one statement (reports.express) files what the DRF view files.

The express path never refuses: what it does not file, the DRF view answers. So these tests
hold the two equal where the express path files (the same rows, the same answer), check that
its SQL spellings of the token's, the permission's and the routing's rules decide as the
Python ones do, and that everything else still reaches the view.
"""

import itertools
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions as drf_exceptions
from rest_framework.authtoken.models import Token

from accounts.authentication import TokenAuthentication, citizen_filer_sql
from accounts.services import token_issued_after
from geo.audit import staff_role
from reports import exceptions, express, filing
from reports.models import (
    AgencyKind,
    Category,
    IdempotencyKey,
    Notice,
    Report,
    ReportEvent,
    RoutingRule,
)
from reports.permissions import PERM_ADD
from reports.routing import route_ctes, route_point
from reports.serializers import ReportCreateInput
from tests.factories.boundaries import AreaFactory, LevelFactory, square
from tests.factories.reports import AgencyFactory, MembershipFactory, UserFactory
from tiles.selectors import tile_version_tokens

from .conftest import EAST_POINT, FAR_POINT, WEST_POINT, client_for

pytestmark = pytest.mark.django_db

TRASH = "rac-thai-sai-quy-dinh"
URL = "/api/v1/reports"


@pytest.fixture
def filed_express(monkeypatch) -> list:
    """What each express filing statement gave back (None: it filed nothing)."""
    calls = []
    original = filing.write_citizen

    def spy(*args, **kwargs):
        calls.append(original(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(filing, "write_citizen", spy)
    return calls


def body(point=WEST_POINT, **fields) -> dict:
    return {
        "category": TRASH,
        "description": "  Rác thải đổ trộm ở đầu ngõ.\r\nBốc mùi.  ",
        "location": {"type": "Point", "coordinates": list(point)},
        "accuracy_m": 12,
        **fields,
    }


def _as_form(data: dict) -> dict:
    """The same filing as the multipart form the DRF view alone takes."""
    return {
        **{k: v for k, v in data.items() if k != "location"},
        "location": json.dumps(data["location"]),
    }


def _stored(report: Report) -> dict:
    """A filing's rows, without what differs from one filing to the next."""
    fields = {
        f.attname: getattr(report, f.attname)
        for f in Report._meta.concrete_fields
        if f.attname not in {"id", "tracking_code", "created_at", "updated_at", "due_at"}
    }
    event = ReportEvent.objects.get(report=report)
    notices = Notice.objects.filter(tracking_code=report.tracking_code).order_by("recipient")
    code = report.tracking_code
    return {
        "report": fields,
        "location": report.location.coords,
        "event": {
            f.attname: getattr(event, f.attname)
            for f in ReportEvent._meta.concrete_fields
            if f.attname not in {"id", "report_id", "created_at"}
        },
        "notices": [
            (n.what, n.recipient, n.subject.replace(code, "CODE"), n.body.replace(code, "CODE"))
            for n in notices
        ],
        "key": IdempotencyKey.objects.filter(report=report).values_list("request_hash").first(),
    }


def _answer(response) -> dict:
    answer = response.json()
    for varying in ("tracking_code", "created_at", "due_at"):
        answer.pop(varying)
    return answer


def test_a_json_filing_is_one_statement_and_stores_and_answers_as_the_view(
    city, citizen, west_official, api_client, filed_express
):
    client = client_for(api_client, citizen)
    drf = client.post(URL, _as_form(body()), format="multipart", HTTP_IDEMPOTENCY_KEY="form-1")
    assert drf.status_code == 201, drf.content
    assert filed_express == []  # multipart: the view's
    fast = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="json-1")
    assert fast.status_code == 201, fast.content
    assert len(filed_express) == 1 and filed_express[0] is not None

    first = Report.objects.get(tracking_code=drf.json()["tracking_code"])
    second = Report.objects.get(tracking_code=fast.json()["tracking_code"])
    assert _stored(second) == _stored(first)
    # From the working calendar, as the view's: a few milliseconds apart, the same deadline.
    deadlines = [r.due_at - r.created_at for r in (first, second)]
    assert abs(deadlines[0] - deadlines[1]).total_seconds() < 1
    assert _stored(second)["notices"]  # the west ward's official is told
    assert _stored(second)["key"] is not None  # same fingerprint: same request hash
    answers = [_answer(drf), _answer(fast)]
    nearby = [[d["tracking_code"] for d in a.pop("possible_duplicates")] for a in answers]
    assert answers[1] == answers[0]
    assert nearby == [[], [first.tracking_code]]
    assert fast["Content-Type"] == "application/json"


def test_the_answer_lists_the_possible_duplicates_as_the_view_does(
    city, citizen, api_client, filed_express
):
    client = client_for(api_client, citizen)
    client.post(URL, body(), format="json")
    fast = client.post(URL, body(), format="json")
    drf = client.post(URL, _as_form(body()), format="multipart")
    nearby = [d["tracking_code"] for d in fast.json()["possible_duplicates"]]
    assert len(nearby) == 1
    # The view's answer also finds the report the express path filed just before it.
    assert [d["tracking_code"] for d in drf.json()["possible_duplicates"]] == [
        *nearby,
        fast.json()["tracking_code"],
    ]
    assert _answer(fast)["possible_duplicates"][0] == _answer(drf)["possible_duplicates"][0]
    assert len(filed_express) == 2


def test_a_retry_replays_and_a_reused_key_is_refused_by_the_view(
    city, citizen, api_client, filed_express
):
    client = client_for(api_client, citizen)
    first = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(URL, body(description="Khác"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert other.json()["code"] == "idempotency_key_reused"
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no token", 401),
        ("unknown token", 401),
        ("inactive", 401),
        ("outside", 422),
        ("no agency", 422),
        ("bad body", 400),
    ],
)
def test_what_the_express_path_does_not_file_the_view_answers(
    city, citizen, api_client, filed_express, case, status
):
    client = client_for(api_client, citizen)
    data = body(point=FAR_POINT) if case == "outside" else body()
    if case == "no token":
        client.credentials()
    elif case == "unknown token":
        client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    elif case == "inactive":
        citizen.is_active = False
        citizen.save()
    elif case == "no agency":
        city.west_agency.areas.clear()
    elif case == "bad body":
        data["accuracy_m"] = -1
    response = client.post(URL, data, format="json")
    assert response.status_code == status, response.content
    assert Report.objects.count() == 0 and Notice.objects.count() == 0
    # The statement ran and filed nothing where its token or place failed; the rest never
    # reached it.
    assert filed_express in ([], [None])


def test_a_point_the_view_snaps_inside_the_city_is_filed_by_the_view(
    city, citizen, api_client, filed_express
):
    # 50 m west of the west ward, inside the edge tolerance only route_point applies.
    response = client_for(api_client, citizen).post(
        URL, body(point=(105.80 - 0.0005, 21.005)), format="json"
    )
    assert response.status_code == 201
    assert response.json()["area"]["code"] == city.west.code
    assert filed_express == [None]


@pytest.mark.parametrize("who", ["staff", "planner", "official"])
def test_staff_file_through_the_view_which_audits_them(
    city, west_official, api_client, filed_express, caplog, who
):
    user = {
        "staff": lambda: UserFactory(username="nhanvien", is_staff=True),
        "planner": lambda: UserFactory(username="kiemtra", roles=["citizen", "planner"]),
        "official": lambda: west_official,
    }[who]()
    response = client_for(api_client, user).post(URL, body(), format="json")
    # Staff who are citizens too may file; officials may not (reports.permissions).
    assert response.status_code == (403 if who == "official" else 201)
    assert filed_express == [None]
    assert [r for r in caplog.records if "staff_action" in r.getMessage()]


def test_the_rate_limit_counts_an_express_filing_once(
    city, citizen, api_client, filed_express, settings
):
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = {
        **settings.THROTTLE_RULES,
        "report_create": {
            **settings.THROTTLE_RULES["report_create"],
            "user": "2/hour",
            "ip": "100/hour",
        },
    }
    cache.clear()
    client = client_for(api_client, citizen)
    # Counted by the express path, answered by the view (outside every area): once.
    assert client.post(URL, body(point=FAR_POINT), format="json").status_code == 422
    assert client.post(URL, body(), format="json").status_code == 201
    refused = client.post(URL, body(), format="json")
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert Report.objects.count() == 1
    cache.clear()


@pytest.mark.parametrize(
    "data",
    [
        body(),
        body(accuracy_m=None),
        body(accuracy_m=0),
        body(accuracy_m=100_000),
        body(accuracy_m=3.5),
        body(public_identity=True),
        body(category=f"  {TRASH} "),
        body(description="Đèn\u200b hỏng\x07 ở ngõ 5"),
        body(point=(105.805, 21)),
        body(extra="ignored"),
        {k: v for k, v in body().items() if k != "accuracy_m"},
    ],
)
def test_a_body_the_express_path_takes_the_serializer_takes_with_the_same_values(city, data):
    accepted = express.filing_accepted(json.dumps(data).encode())
    assert accepted is not None
    checked = ReportCreateInput(data=data)
    assert checked.is_valid(), checked.errors
    values = checked.validated_data
    assert accepted.category == values["category"]
    assert accepted.description == values["description"]
    assert (accepted.lon, accepted.lat) == values["location"].coords
    assert accepted.accuracy_m == values.get("accuracy_m")
    assert type(accepted.accuracy_m) is type(values.get("accuracy_m"))
    assert accepted.public_identity == values["public_identity"]


@pytest.mark.parametrize(
    "data",
    [
        # The serializer takes these after coercing them: the view files them.
        body(accuracy_m="12"),
        body(public_identity="true"),
        body(description=12345),
        body(location=json.dumps({"type": "Point", "coordinates": list(WEST_POINT)})),
        body(location={"type": "Point", "coordinates": [*WEST_POINT, 10]}),
        # The serializer refuses these: the view says why.
        body(category="khong-co"),
        body(category=None),
        body(description="   "),
        body(description="x" * 5001),
        body(description="a\x00b"),
        body(location={"type": "Point", "coordinates": [200, 21]}),
        body(location={"type": "Point", "coordinates": [True, 21]}),
        body(location={"type": "Point", "coordinates": [105.8, 21], "crs": "x"}),
        body(location=None),
        body(accuracy_m=-1),
        body(accuracy_m=100_001),
        body(accuracy_m=True),
        body(public_identity=None),
        [body()],
        "not a filing",
    ],
)
def test_a_body_the_express_path_does_not_take_is_the_views(city, data):
    assert express.filing_accepted(json.dumps(data).encode()) is None


def test_not_json_is_the_views(city):
    assert express.filing_accepted(b"{not json") is None
    assert express.filing_accepted(b"\xff\xfe") is None
    # What Python's json takes and DRF's parser does not: other encodings, a BOM, NaN.
    assert express.filing_accepted(json.dumps(body()).encode("utf-16")) is None
    assert express.filing_accepted(b"\xef\xbb\xbf" + json.dumps(body()).encode()) is None
    with_nan = json.dumps({**body(), "note": float("nan")}).encode()
    assert b"NaN" in with_nan and express.filing_accepted(with_nan) is None
    assert express.filing_accepted(json.dumps(body()).encode()) is not None


def test_a_body_in_another_charset_is_the_views(city, citizen, api_client, filed_express):
    response = client_for(api_client, citizen).post(
        URL,
        json.dumps(body()).encode("utf-16"),
        content_type="application/json; charset=utf-16",
    )
    assert filed_express == []
    assert response.status_code == 201  # DRF's parser reads the charset it is given


def _filer(key: str) -> int | None:
    sql = citizen_filer_sql(key="%(key)s", issued_after="%(after)s", permission=PERM_ADD)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"key": key, "after": token_issued_after()})
        rows = cursor.fetchall()
    return rows[0][0] if rows else None


def _python_filer(key: str) -> int | None:
    """Who the DRF view lets file with this token without an audit line."""
    try:
        user, _token = TokenAuthentication().authenticate_credentials(key)
    except drf_exceptions.AuthenticationFailed:
        return None
    if not user.has_perm(PERM_ADD) or staff_role(user) is not None:
        return None
    return user.pk


def test_the_statements_token_check_accepts_whom_the_view_lets_file_unaudited(
    city, settings, west_official, supervisor, planner
):
    settings.API_TOKEN_TTL_DAYS = 30
    users = {
        "citizen": UserFactory(username="dan"),
        "inactive": UserFactory(username="nghi", is_active=False),
        "staff": UserFactory(username="nhanvien", is_staff=True),
        "superuser": UserFactory(username="quantri", is_superuser=True),
        "no role": UserFactory(username="trong", roles=[]),
        "official": west_official,
        "supervisor": supervisor,
        "planner": planner,
        "planner and citizen": UserFactory(username="kiemtra", roles=["citizen", "planner"]),
        "expired": UserFactory(username="cu"),
    }
    keys = {name: Token.objects.create(user=user).key for name, user in users.items()}
    Token.objects.filter(key=keys["expired"]).update(created="2020-01-01T00:00:00Z")
    keys["unknown"] = "f" * 40
    decided = {name: (_filer(key), _python_filer(key)) for name, key in keys.items()}
    assert all(sql == python for sql, python in decided.values()), decided
    assert decided["citizen"][0] == users["citizen"].pk
    assert sum(sql is not None for sql, _ in decided.values()) == 1
    settings.API_TOKEN_TTL_DAYS = 0  # tokens without a lifetime
    assert _filer(keys["expired"]) == _python_filer(keys["expired"]) == users["expired"].pk


def _sql_route(category: Category, point) -> tuple | None:
    ctes = route_ctes(category="%(category)s", handling_level="%(level)s")
    sql = f"WITH {ctes} SELECT agency_id, area_id, generation_id FROM route"
    params = {
        "lon": point[0],
        "lat": point[1],
        "category": category.pk,
        "level": category.handling_level_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assert len(rows) <= 1
    return rows[0] if rows else None


def _python_route(category: Category, point) -> tuple | None:
    try:
        route = route_point(category=category, lon=point[0], lat=point[1])
    except exceptions.NotRouted:
        return None
    return route.agency.pk, route.area.pk, route.generation.pk


def test_the_statements_routing_decides_as_route_point_in_every_combination(city):
    """Rules in the ward, in the district and city-wide, a handling level at each level or
    none, jurisdictions held by one or two agencies, and an inactive agency: at both wards
    (one inside the district, one not) the SQL chooses what route_point chooses."""
    district_level = LevelFactory(code="district", name="Quận", rank=1)
    city_level = LevelFactory(code="city", name="Thành phố", rank=0)
    district = AreaFactory(
        code="001", level=district_level, generation_low=city.generation, geom=city.west.geom
    )
    whole = AreaFactory(
        code="01",
        level=city_level,
        generation_low=city.generation,
        geom=square(105.79, 20.99, size=0.05),
    )
    district_agency = AgencyFactory(code="ubnd-quan", kind=AgencyKind.DISTRICT)
    city_agency = AgencyFactory(code="ubnd-tp", kind=AgencyKind.CITY)
    city_agency.areas.add(whole)
    second_holder = AgencyFactory(code="a-dong-quan-ly", kind=AgencyKind.DEPARTMENT)
    company = AgencyFactory(code="hapulico", kind=AgencyKind.DEPARTMENT)
    special = AgencyFactory(code="ban-quan-ly", kind=AgencyKind.DEPARTMENT)
    category = Category.objects.get(code="den-chieu-sang")
    levels = [None, city.level, district_level, city_level]
    compared = 0
    for ward_rule, district_rule, citywide, level, holds, shares, inactive in itertools.product(
        [False, True], [False, True], [False, True], levels, [False, True], [False, True],
        [False, True],
    ):  # fmt: skip
        RoutingRule.objects.all().delete()
        if ward_rule:
            RoutingRule.objects.create(category=category, area=city.west, agency=special)
        if district_rule:
            RoutingRule.objects.create(category=category, area=district, agency=company)
        if citywide:
            RoutingRule.objects.create(category=category, area=None, agency=city_agency)
        category.handling_level = level
        category.save()
        district_agency.areas.set([district] if holds else [])
        second_holder.areas.set([city.west, district] if shares else [])
        special.active = not inactive
        special.save()
        for point in (WEST_POINT, EAST_POINT):
            assert _sql_route(category, point) == _python_route(category, point), (
                ward_rule, district_rule, citywide, level, holds, shares, inactive, point,
            )  # fmt: skip
            compared += 1
    assert compared == 2 * 2**6 * len(levels)


def test_nothing_is_routed_before_any_generation_or_outside_every_area(city):
    trash = Category.objects.get(code=TRASH)
    assert _sql_route(trash, FAR_POINT) is None
    city.generation.active = False
    city.generation.save()
    assert _sql_route(trash, WEST_POINT) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_only_a_stored_report_gives_report_tiles_a_new_version(city, citizen, api_client):
    client = client_for(api_client, citizen)
    client.post(URL, body(), format="json")  # a first version, and the caches warm
    version = tile_version_tokens()["reports"]
    assert client.post(URL, body(point=FAR_POINT), format="json").status_code == 422
    assert tile_version_tokens()["reports"] == version
    with CaptureQueriesContext(connection) as queries:
        filed = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="tiles-1")
    assert filed.status_code == 201
    assert tile_version_tokens()["reports"] != version
    # The whole filing, the tiles' version with it, in one statement and its own commit.
    [statement] = [q["sql"] for q in queries]
    for table in (
        "reports_report",
        "reports_idempotencykey",
        "reports_notice",
        "tiles_tileversion",
    ):
        assert f"INSERT INTO {table}" in statement


def test_an_official_of_another_ward_is_not_told(city, citizen, east_official, api_client):
    MembershipFactory(agency=city.west_agency, user__username="canbo_tay_2")
    client_for(api_client, citizen).post(URL, body(), format="json")
    assert sorted(Notice.objects.values_list("recipient", flat=True)) == [
        m.user.email for m in city.west_agency.memberships.select_related("user")
    ]


def test_a_fixed_column_is_written_once_as_its_field_prepares_it():
    """The columns every citizen's filing writes the same are literals of the column's type,
    prepared by their fields; a default that changes from filing to filing is refused."""
    report = Report._meta
    assert filing.fixed_value_sql(report.get_field("status"), "received") == (
        "'received'::varchar(16)"
    )
    assert filing.fixed_value_sql(report.get_field("transfers_count")) == "0::integer"
    assert filing.fixed_value_sql(report.get_field("resolved_at")) == (
        "NULL::timestamp with time zone"
    )
    assert filing.fixed_value_sql(report.get_field("duplicate_of")) == "NULL::bigint"
    for field in (
        ReportEvent._meta.get_field("created_at"),  # default=timezone.now
        report.get_field("updated_at"),  # auto_now
        IdempotencyKey._meta.get_field("created_at"),  # auto_now_add
    ):
        with pytest.raises(ImproperlyConfigured, match="given"):
            filing.fixed_value_sql(field)


def test_a_filing_sends_only_what_varies_from_one_filing_to_the_next():
    """The statement's parameters: the token, the point, the category, the notice's text,
    the duplicates' search and the given values of the three rows, nothing fixed."""
    _, names = filing.citizen_statement_native(with_key=True, also=True)
    rows = {name for name in names if name.startswith(("report_", "event_", "key_"))}
    assert rows == {
        *(f"report_{name}" for name in filing._CITIZEN_ROWS["report"].given),
        "event_created_at",
        "key_key",
        "key_request_hash",
        "key_created_at",
    }
