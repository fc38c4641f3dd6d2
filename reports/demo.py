"""Demo reports for the demo city: agencies, officials, and a year of realistic reports.

Everything is seeded, so two machines build the same data, and idempotent: a second run finds
the demo reports and only confirms the agencies and users. Locations cluster around a few
hotspots per category (a market street that floods, a lane of karaoke bars) over a thinner
background, categories follow the proportions city hotlines report (waste and encroachment
lead, flooding peaks in the rainy season), and every report carries the event history its
status implies, with most handled on time, some late and some still overdue. A quarter of
the unfinished reports have supporters, and most closed ones their reporter's rating (about
60 % satisfied, fewer for late fixes). No demo photos: they would only slow the build.

Demo accounts (documented in the README section of the reports app):
- officials: `canbo.<ward code>` / CanBo@2025, one per ward People's Committee;
- supervisor: `giamsat` / GiamSat@2025 (Sở Nội vụ, city-wide oversight);
- planner: `quyhoach` / QuyHoach@2025;
- citizens: `dan001` … `dan060` / NguoiDan@2025 (the reporters).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from accounts.models import Profile
from boundaries.models import Area, Generation, Level
from geo.crs import WGS84
from reports import routing, services
from reports.deadlines import LOCAL_TZ, WorkingCalendar, calendar_load
from reports.models import (
    Agency,
    AgencyKind,
    Category,
    EventKind,
    Follow,
    Membership,
    Rating,
    Report,
    ReportEvent,
    RoutingRule,
    Status,
)
from reports.signals import reports_bulk_changed

SEED = 2025
REPORT_COUNT = 3000
DAYS = 365
CITIZENS = 60
SUPERVISING_AGENCY = "so-noi-vu"

PASSWORDS = {
    "official": "CanBo@2025",
    "supervisor": "GiamSat@2025",
    "planner": "QuyHoach@2025",
    "citizen": "NguoiDan@2025",
}

# City bodies that handle whole categories, Hanoi's real ones.
DEPARTMENTS = [
    # (code, name, English name, kind, categories routed to it citywide)
    (
        "so-noi-vu",
        "Sở Nội vụ Hà Nội",
        "Hanoi Department of Home Affairs",
        AgencyKind.DEPARTMENT,
        [],
    ),
    (
        "hapulico",
        "Công ty TNHH MTV Chiếu sáng và Thiết bị đô thị Hà Nội",
        "Hanoi Urban Lighting Company",
        AgencyKind.DEPARTMENT,
        ["den-chieu-sang"],
    ),
    (
        "thoat-nuoc-ha-noi",
        "Công ty TNHH MTV Thoát nước Hà Nội",
        "Hanoi Drainage Company",
        AgencyKind.DEPARTMENT,
        ["ngap-ung", "nap-cong-ho-ga"],
    ),
    (
        "nuoc-sach-ha-noi",
        "Tổng công ty Nước sạch Hà Nội",
        "Hanoi Water Corporation",
        AgencyKind.DEPARTMENT,
        ["nuoc-sach"],
    ),
    (
        "cay-xanh-ha-noi",
        "Công ty TNHH MTV Công viên cây xanh Hà Nội",
        "Hanoi Parks and Trees Company",
        AgencyKind.DEPARTMENT,
        ["cay-gay-do"],
    ),
    (
        "so-xay-dung",
        "Sở Xây dựng Hà Nội",
        "Hanoi Department of Construction",
        AgencyKind.DEPARTMENT,
        ["den-tin-hieu"],
    ),
    (
        "tt-phuc-vu-hcc",
        "Trung tâm Phục vụ hành chính công Hà Nội",
        "Hanoi Public Administrative Service Centre",
        AgencyKind.CITY,
        [],
    ),
]

# Relative frequency of each category among a city hotline's field reports.
WEIGHTS = {
    "rac-thai-sai-quy-dinh": 16,
    "lan-chiem-via-he": 12,
    "den-chieu-sang": 8,
    "o-ga-mat-duong": 8,
    "on-karaoke-loa-keo": 7,
    "ngap-ung": 6,
    "do-xe-sai-quy-dinh": 6,
    "ve-sinh-duong-pho": 5,
    "xay-dung-trai-phep": 5,
    "vat-lieu-xay-dung": 4,
    "thu-gom-rac": 4,
    "nap-cong-ho-ga": 3,
    "quang-cao-rao-vat": 3,
    "ban-hang-rong": 3,
    "cay-gay-do": 2,
    "cat-tia-cay": 2,
    "nuoc-sach": 2,
    "on-cong-trinh-dem": 2,
    "bien-bao-vach-son": 1,
    "den-tin-hieu": 1,
    "cong-vien": 1,
}

STREETS = [
    "phố Huế",
    "phố Hàng Bông",
    "phố Bạch Mai",
    "đường Giải Phóng",
    "phố Tôn Đức Thắng",
    "đường Láng",
    "phố Chùa Bộc",
    "đường Nguyễn Trãi",
    "phố Kim Mã",
    "đường Trường Chinh",
    "phố Đội Cấn",
    "phố Minh Khai",
    "đường Lạc Long Quân",
    "phố Xã Đàn",
    "phố Thái Hà",
]

PROBLEMS = {
    "rac-thai-sai-quy-dinh": "Rác thải sinh hoạt đổ thành đống, bốc mùi hôi",
    "lan-chiem-via-he": "Quán ăn bày bàn ghế chiếm hết vỉa hè, người đi bộ phải xuống lòng đường",
    "den-chieu-sang": "Cột đèn chiếu sáng không sáng nhiều đêm liền, đường rất tối",
    "o-ga-mat-duong": "Ổ gà lớn giữa đường, xe máy đi qua dễ ngã",
    "on-karaoke-loa-keo": "Hát karaoke bằng loa kẹo kéo đến khuya, ảnh hưởng người dân nghỉ ngơi",
    "ngap-ung": "Mưa lớn ngập sâu, nước không rút sau nhiều giờ",
    "do-xe-sai-quy-dinh": "Ô tô đỗ dàn hàng trên vỉa hè và hai bên đường gây ùn tắc",
    "ve-sinh-duong-pho": "Vỉa hè bẩn, nhiều bùn đất và rác vụn chưa được quét dọn",
    "xay-dung-trai-phep": "Công trình đang xây thêm tầng, nghi không có giấy phép",
    "vat-lieu-xay-dung": "Cát, gạch đổ tràn ra lòng đường, không che chắn",
    "thu-gom-rac": "Xe rác không đến thu gom theo lịch, rác ùn ứ",
    "nap-cong-ho-ga": "Hố ga bị mất nắp, rất nguy hiểm cho người đi đường",
    "quang-cao-rao-vat": "Dán quảng cáo, rao vặt kín cột điện và tường nhà",
    "ban-hang-rong": "Chợ cóc họp tự phát dưới lòng đường vào buổi sáng",
    "cay-gay-do": "Cây xanh bị nghiêng, có nguy cơ đổ vào nhà dân",
    "cat-tia-cay": "Cành cây mọc vướng vào đường dây điện, cần cắt tỉa",
    "nuoc-sach": "Đường ống nước sạch bị vỡ, nước chảy tràn ra đường",
    "on-cong-trinh-dem": "Công trình thi công ồn ào sau 22 giờ",
    "bien-bao-vach-son": "Biển báo bị đổ, vạch sơn qua đường đã mờ",
    "den-tin-hieu": "Đèn tín hiệu giao thông ở ngã tư bị tắt",
    "cong-vien": "Ghế đá và thiết bị tập thể dục trong vườn hoa bị hỏng",
}

RESOLUTION_NOTES = [
    "Đã xử lý xong, hiện trường đã được khắc phục.",
    "Đã phối hợp với đơn vị liên quan khắc phục.",
    "Đã kiểm tra, nhắc nhở và yêu cầu chấm dứt vi phạm.",
]
REJECTION_NOTE = "Nội dung phản ánh không thuộc thẩm quyền hoặc không đúng thực tế."
DUPLICATE_NOTE = "Trùng với phản ánh đã tiếp nhận trước đó."
PROGRESS_NOTE = "Đã tiếp nhận và giao cán bộ phụ trách địa bàn kiểm tra."

# Metres per degree of latitude, for jittering points around a hotspot.
_METRES_PER_DEGREE = 111_320.0


def load_demo_reports() -> str:
    """Create (or confirm) demo agencies, users and reports; returns a one-line summary."""
    generation = Generation.objects.current()
    if generation is None:
        return "no active boundary generation; load the demo city first"
    ward_level = _lowest_level(generation)
    if ward_level is None:
        return f"generation {generation.name!r} has no areas; nothing to route reports to"
    departments = _departments()
    created_agencies, _ = services.agencies_create_for_level(
        level=ward_level, generation=generation, supervisor=departments[SUPERVISING_AGENCY]
    )
    users = _users(generation, ward_level, departments)
    if Report.objects.filter(reporter__in=users.citizens).exists():
        count = Report.objects.filter(reporter__in=users.citizens).count()
        return (
            f"{created_agencies} ward agencies created; {count} demo reports already "
            "present, left as they are"
        )
    made = _reports(generation, ward_level, users.citizens)
    return (
        f"{created_agencies} ward agencies created, {len(users.officials)} officials, "
        f"{made} demo reports over {DAYS} days"
    )


def _lowest_level(generation: Generation) -> Level | None:
    return (
        Level.objects.filter(areas__in=Area.objects.in_generation(generation))
        .order_by("-rank")
        .first()
    )


def _departments() -> dict[str, Agency]:
    agencies = {}
    for code, name, name_en, kind, categories in DEPARTMENTS:
        agency, _ = Agency.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "email": f"{code}@demo.civicpin.local",
            },
        )
        agencies[code] = agency
        for category in Category.objects.filter(code__in=categories):
            RoutingRule.objects.get_or_create(
                category=category, area=None, defaults={"agency": agency}
            )
    for code, agency in agencies.items():
        if code != SUPERVISING_AGENCY and agency.supervisor_id is None:
            agency.supervisor = agencies[SUPERVISING_AGENCY]
            agency.save(update_fields=["supervisor"])
    return agencies


@dataclass
class _Users:
    citizens: list = field(default_factory=list)
    officials: list = field(default_factory=list)


def _users(generation: Generation, level: Level, departments: dict[str, Agency]) -> _Users:
    """Demo users; a password is hashed once per role, not once per user, to stay fast."""
    user_model = get_user_model()
    hashes = {role: make_password(password) for role, password in PASSWORDS.items()}
    groups = {g.name: g for g in Group.objects.filter(name__in=PASSWORDS)}

    def ensure(username: str, role: str, **fields):
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"password": hashes[role], **fields}
        )
        if created:
            user.groups.add(groups[role])
        return user

    result = _Users()
    ensure("giamsat", "supervisor", first_name="Giám sát", email="giamsat@demo.civicpin.local")
    supervisor = user_model.objects.get(username="giamsat")
    Membership.objects.get_or_create(agency=departments[SUPERVISING_AGENCY], user=supervisor)
    ensure("quyhoach", "planner", first_name="Quy hoạch", email="quyhoach@demo.civicpin.local")
    areas = Area.objects.in_generation(generation).filter(level=level).select_related("level")
    agencies = Agency.objects.in_bulk(
        [services.agency_code_for(a) for a in areas], field_name="code"
    )
    for area in areas.defer("geom"):
        agency = agencies[services.agency_code_for(area)]
        official = ensure(
            f"canbo.{area.code}",
            "official",
            first_name="Cán bộ",
            last_name=area.name,
            email=f"canbo.{area.code}@demo.civicpin.local",
        )
        Membership.objects.get_or_create(agency=agency, user=official)
        result.officials.append(official)
    for code, agency in departments.items():
        if code == SUPERVISING_AGENCY:
            continue
        official = ensure(
            f"canbo.{code}", "official", first_name="Cán bộ", last_name=agency.name[:150]
        )
        Membership.objects.get_or_create(agency=agency, user=official)
        result.officials.append(official)
    for n in range(1, CITIZENS + 1):
        citizen = ensure(f"dan{n:03d}", "citizen", email=f"dan{n:03d}@demo.civicpin.local")
        Profile.objects.get_or_create(user=citizen, defaults={"phone": f"09{n:08d}"})
        result.citizens.append(citizen)
    return result


# A point on the surface of each area, for hotspots; and the extent of them all.
_SURFACE_SQL = """
    SELECT a.id, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))
    FROM boundaries_area AS a
    WHERE a.level_id = %(level)s
      AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
    ORDER BY a.code
"""

_EXTENT_SQL = """
    SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
    FROM (
        SELECT ST_Extent(a.geom) AS e FROM boundaries_area AS a
        WHERE a.level_id = %(level)s
          AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
    ) AS extent
"""

# The lowest-level area covering each generated point, in one statement for all of them.
_COVER_SQL = """
    SELECT pt.n, best.area_id
    FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS pt(lon, lat, n)
    CROSS JOIN LATERAL (
        SELECT p.area_id
        FROM boundaries_areapiece AS p
        JOIN boundaries_area AS a ON a.id = p.area_id
        WHERE a.level_id = %(level)s
          AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
          AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(pt.lon, pt.lat), 4326))
        ORDER BY a.code
        LIMIT 1
    ) AS best
"""


def _reports(generation: Generation, level: Level, citizens: list) -> int:
    rng = random.Random(SEED)  # noqa: S311 (reproducible demo data, not secrets)
    now = timezone.now()
    calendar = calendar_load()
    categories = {c.code: c for c in Category.objects.filter(code__in=WEIGHTS)}
    codes = list(categories)
    weights = [WEIGHTS[c] for c in codes]
    params = {"level": level.pk, "generation": generation.pk}
    with connection.cursor() as cursor:
        cursor.execute(_SURFACE_SQL, params)
        surfaces = cursor.fetchall()
        cursor.execute(_EXTENT_SQL, params)
        extent = cursor.fetchone()
    hotspots = {
        code: [rng.choice(surfaces)[1:] for _ in range(rng.randint(2, 4))] for code in codes
    }

    # Draw candidates in rounds; those outside every ward are dropped until enough remain.
    kept: list[tuple[tuple, int]] = []
    for _ in range(20):
        drafts = []
        for _ in range(REPORT_COUNT):
            code = rng.choices(codes, weights)[0]
            if rng.random() < 0.65:
                lon, lat = rng.choice(hotspots[code])
                lon, lat = _jitter(rng, lon, lat, metres=rng.choice([80, 150, 300]))
            else:
                lon = rng.uniform(extent[0], extent[2])
                lat = rng.uniform(extent[1], extent[3])
            drafts.append((code, _created_at(rng, now, code), lon, lat))
        covered = _covering_areas(drafts, level, generation)
        kept += [(d, covered[i]) for i, d in enumerate(drafts, start=1) if i in covered]
        if len(kept) >= REPORT_COUNT:
            break
    kept = sorted(kept[:REPORT_COUNT], key=lambda item: item[0][1])
    # The routing decision itself, once per (ward, category) pair.
    agencies = routing.agencies_for_pairs(
        list({(area_id, categories[d[0]].pk) for d, area_id in kept})
    )
    agency_objs = Agency.objects.in_bulk(set(agencies.values()))

    reports: list[Report] = []
    histories: list[list[ReportEvent]] = []
    originals: dict[str, list[Report]] = {}
    for (code, created, lon, lat), area_id in kept:
        category = categories[code]
        agency = agency_objs[agencies[(area_id, category.pk)]]
        report = Report(
            tracking_code="".join(rng.choice(services.TRACKING_ALPHABET) for _ in range(10)),
            category=category,
            description=f"{PROBLEMS[code]} tại {rng.choice(STREETS)}.",
            location=Point(round(lon, 6), round(lat, 6), srid=WGS84),
            accuracy_m=round(rng.uniform(4, 35), 1),
            area_id=area_id,
            generation=generation,
            agency=agency,
            reporter=rng.choice(citizens),
            created_at=created,
            due_at=calendar.due_at(created, category.deadline_days),
        )
        earlier = originals.setdefault(code, [])
        events = _history(rng, report, now, calendar, earlier)
        if report.status != Status.DUPLICATE:
            earlier.append(report)
        reports.append(report)
        histories.append(events)

    # Originals first, so duplicates can point at saved rows.
    firsts = [r for r in reports if r.status != Status.DUPLICATE]
    Report.objects.bulk_create(firsts, batch_size=1000)
    for report in reports:
        if report.status == Status.DUPLICATE:
            report.duplicate_of_id = report.duplicate_of.pk
    Report.objects.bulk_create(
        [r for r in reports if r.status == Status.DUPLICATE], batch_size=1000
    )
    # auto_now stamped updated_at on insert; put back the time of each report's last event.
    for report, history in zip(reports, histories, strict=True):
        report.updated_at = max(event.created_at for event in history)
    Report.objects.bulk_update(reports, ["updated_at"], batch_size=1000)
    reports_bulk_changed.send(sender=Report, report_ids=[r.pk for r in reports])
    events = []
    for report, history in zip(reports, histories, strict=True):
        for event in history:
            event.report = report
            events.append(event)
    ReportEvent.objects.bulk_create(events, batch_size=2000)
    _supporters_and_ratings(reports, citizens)
    return len(reports)


# Stars citizens give a fix: about 60 % satisfied (4 or 5), fewer when it came late.
STARS_ON_TIME = {5: 38, 4: 26, 3: 14, 2: 10, 1: 12}
STARS_LATE = {5: 22, 4: 26, 3: 18, 2: 14, 1: 20}
RATED_SHARE = 0.7
SUPPORTED_SHARE = 0.25
RATING_COMMENTS = {
    5: "Xử lý nhanh, sạch sẽ. Cảm ơn phường!",
    4: "Đã khắc phục, tuy hơi chậm.",
    3: "Tạm ổn nhưng cần theo dõi thêm.",
    2: "Mới xử lý qua loa.",
    1: "Chưa thấy thay đổi gì.",
}


def _supporters_and_ratings(reports: list[Report], citizens: list) -> None:
    """Some reports gather +1s from other citizens; most closed ones carry their reporter's
    rating. A separate seeded generator, so the reports themselves stay as they were."""
    rng = random.Random(SEED + 1)  # noqa: S311 (reproducible demo data, not secrets)
    follows, ratings = [], []
    for report in reports:
        if report.status in (Status.RECEIVED, Status.IN_PROGRESS, Status.RESOLVED) and (
            rng.random() < SUPPORTED_SHARE
        ):
            others = [c for c in citizens if c.pk != report.reporter_id]
            for supporter in rng.sample(others, k=min(len(others), rng.randint(1, 6))):
                follows.append(
                    Follow(
                        report=report,
                        user=supporter,
                        supports=True,
                        created_at=report.created_at + dt.timedelta(hours=rng.uniform(1, 48)),
                    )
                )
        if report.status == Status.CLOSED and report.resolved_at and rng.random() < RATED_SHARE:
            table = STARS_LATE if report.is_late else STARS_ON_TIME
            stars = rng.choices(list(table), weights=list(table.values()))[0]
            ratings.append(
                Rating(
                    report=report,
                    user_id=report.reporter_id,
                    stars=stars,
                    comment=RATING_COMMENTS[stars],
                    created_at=report.closed_at,
                )
            )
    Follow.objects.bulk_create(follows, batch_size=2000, ignore_conflicts=True)
    Rating.objects.bulk_create(ratings, batch_size=2000)


def _covering_areas(drafts: list[tuple], level: Level, generation: Generation) -> dict[int, int]:
    """1-based draft index → id of the ward covering it, for the drafts inside a ward."""
    with connection.cursor() as cursor:
        cursor.execute(
            _COVER_SQL,
            {
                "lons": [d[2] for d in drafts],
                "lats": [d[3] for d in drafts],
                "level": level.pk,
                "generation": generation.pk,
            },
        )
        return dict(cursor.fetchall())


def _created_at(rng: random.Random, now: dt.datetime, code: str) -> dt.datetime:
    """A filing time in the past year: more on weekdays, by day and evening, floods in summer."""
    while True:
        moment = now - dt.timedelta(seconds=rng.uniform(0, DAYS * 86400))
        local = moment.astimezone(LOCAL_TZ)
        weight = 1.0 if local.weekday() < 5 else 0.6
        if not 6 <= local.hour <= 22:
            weight *= 0.15
        if code == "ngap-ung" and local.month not in (5, 6, 7, 8, 9, 10):
            weight *= 0.1
        if rng.random() < weight:
            return moment


def _jitter(rng: random.Random, lon: float, lat: float, *, metres: float) -> tuple[float, float]:
    dx = rng.gauss(0, metres) / (_METRES_PER_DEGREE * math.cos(math.radians(lat)))
    dy = rng.gauss(0, metres) / _METRES_PER_DEGREE
    return lon + dx, lat + dy


def _history(
    rng: random.Random,
    report: Report,
    now: dt.datetime,
    calendar: WorkingCalendar,
    earlier: list[Report],
) -> list[ReportEvent]:
    """Decide the report's fate and return the events that tell it, setting its status."""
    created = report.created_at
    events = [ReportEvent(kind=EventKind.CREATED, new_status=Status.RECEIVED, created_at=created)]
    report.status = Status.RECEIVED
    fate = rng.random()

    def move(to: str, at: dt.datetime, note: str = "") -> bool:
        if at > now:
            return False
        events.append(
            ReportEvent(
                kind=EventKind.TRANSITION,
                old_status=report.status,
                new_status=to,
                note=note,
                created_at=at,
            )
        )
        report.status = to
        return True

    triage = created + dt.timedelta(hours=rng.uniform(1, 30))
    if fate < 0.04 and earlier:
        report.duplicate_of = rng.choice(earlier[-20:])
        if move(Status.DUPLICATE, triage, DUPLICATE_NOTE):
            report.closed_at = triage
        else:
            report.duplicate_of = None
        return events
    if fate < 0.08:
        if move(Status.REJECTED, triage, REJECTION_NOTE):
            report.closed_at = triage
        return events
    if not move(Status.IN_PROGRESS, triage, PROGRESS_NOTE):
        return events
    span = (report.due_at - created).total_seconds()
    if fate < 0.13:
        # Never finished: open past its deadline, and escalated when the cron job ran.
        if report.due_at + dt.timedelta(hours=1) < now:
            report.escalated_at = report.due_at + dt.timedelta(minutes=rng.randint(1, 10))
            events.append(
                ReportEvent(
                    kind=EventKind.ESCALATED,
                    old_status=report.status,
                    new_status=report.status,
                    note=services.ESCALATION_NOTE,
                    public=False,
                    created_at=report.escalated_at,
                )
            )
        return events
    # Most are done within the deadline; about one in eight late.
    share = rng.uniform(0.15, 0.95) if fate < 0.86 else rng.uniform(1.05, 2.0)
    resolved = max(created + dt.timedelta(seconds=span * share), triage + dt.timedelta(hours=2))
    if not move(Status.RESOLVED, resolved, rng.choice(RESOLUTION_NOTES)):
        return events
    report.resolved_at = resolved
    closed = resolved + dt.timedelta(days=rng.uniform(1, 5))
    if rng.random() < 0.8 and move(Status.CLOSED, closed):
        report.closed_at = closed
    return events
