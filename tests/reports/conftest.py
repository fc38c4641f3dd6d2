"""A two-ward city with an agency per ward, and a user for every role."""

from dataclasses import dataclass

import geopandas
import pytest
from django.contrib.gis.geos import GEOSGeometry
from rest_framework.authtoken.models import Token

from boundaries import services as boundary_services
from boundaries.models import Area, Generation, Level
from reports import services
from reports.models import Agency, AgencyKind
from tests.conftest import hanoi_file
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square
from tests.factories.reports import AgencyFactory, MembershipFactory, UserFactory

# West ward: 105.80..105.81 E, 21.00..21.01 N; east ward: 105.81..105.82 E.
WEST_POINT = (105.805, 21.005)
EAST_POINT = (105.815, 21.005)
# Well outside both wards (and outside the 100 m edge tolerance).
FAR_POINT = (106.70, 10.78)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hashing test passwords with PBKDF2 would dominate the run; security is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class City:
    generation: Generation
    level: Level
    west: Area
    east: Area
    west_agency: Agency
    east_agency: Agency
    overseer: Agency


@pytest.fixture
def city(db) -> City:
    generation = GenerationFactory(name="2025-07", active=True)
    level = LevelFactory(code="ward", rank=2)
    west = AreaFactory(
        code="00001",
        name="Phường Tây",
        level=level,
        generation_low=generation,
        geom=square(105.80, 21.00),
    )
    east = AreaFactory(
        code="00002",
        name="Phường Đông",
        level=level,
        generation_low=generation,
        geom=square(105.81, 21.00),
    )
    overseer = AgencyFactory(
        code="so-noi-vu",
        name="Sở Nội vụ Hà Nội",
        kind=AgencyKind.DEPARTMENT,
        email="giamsat@noivu.hanoi.example",
    )
    services.agencies_create_for_level(level=level, generation=generation, supervisor=overseer)
    return City(
        generation=generation,
        level=level,
        west=west,
        east=east,
        west_agency=Agency.objects.get(code="ubnd-ward-00001"),
        east_agency=Agency.objects.get(code="ubnd-ward-00002"),
        overseer=overseer,
    )


@pytest.fixture
def citizen(db):
    return UserFactory(username="citizen_lan", email="lan.nguyen@example.vn", phone="0987654321")


@pytest.fixture
def west_official(city):
    return MembershipFactory(agency=city.west_agency, user__username="canbo_tay").user


@pytest.fixture
def east_official(city):
    return MembershipFactory(agency=city.east_agency, user__username="canbo_dong").user


@pytest.fixture
def west_head(city):
    return MembershipFactory(
        agency=city.west_agency, user__username="lanhdao_tay", role="head"
    ).user


@pytest.fixture
def supervisor(city):
    return UserFactory(username="giamsat", roles=["supervisor"])


@pytest.fixture
def planner(db):
    return UserFactory(username="quyhoach", roles=["planner"])


def client_for(api_client, user):
    """An API client authenticated with `user`'s token (or anonymous for None)."""
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def load_hanoi_wards(generation: Generation, level: Level) -> dict[str, Area]:
    """The real 126 Hanoi wards of 2025 as Areas of `generation`, with their pieces."""
    frame = geopandas.read_file(hanoi_file("wards_2025.geojson"))
    areas = []
    for row in frame.itertuples():
        geom = GEOSGeometry(row.geometry.wkt, srid=4326)  # every ward is a MultiPolygon
        areas.append(
            Area(
                code=row.code,
                name=row.fullName,
                name_en=row.fullNameEn,
                level=level,
                generation_low=generation,
                generation_high=generation,
                geom=geom,
                area_m2=boundary_services.measure_area_m2(geom),
            )
        )
    Area.objects.bulk_create(areas)
    boundary_services.area_pieces_rebuild(area_ids=[a.pk for a in areas])
    return {a.code: a for a in areas}


@pytest.fixture
def media_root(settings, tmp_path):
    """Photos go to a fresh MEDIA_ROOT per test, so "nothing stored" can be checked on disk."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(root) -> list:
    """Every file under MEDIA_ROOT (empty when the directory was never created)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
