"""The filing's answer and its possible duplicates are built without their serializers;
they must say exactly what the serializers, which document them, say: for a new report with
and without photos, for one without a place, for an idempotent replay (which reads its
photos back) and for the duplicates found nearby."""

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIRequestFactory

from reports import photos, services
from reports.models import AgencyKind, Category
from reports.serializers import (
    DuplicateCandidateSerializer,
    ReportCreatedSerializer,
    duplicate_candidates_answer,
    report_created_answer,
)
from tests.factories.reports import AgencyFactory, ReportFactory

from .conftest import WEST_POINT
from .images import phone_jpeg, upload

pytestmark = pytest.mark.django_db


def both(report) -> tuple[dict, dict]:
    context = {"request": APIRequestFactory().post("/api/v1/reports")}
    expected = dict(ReportCreatedSerializer(report, context=context).data)
    return report_created_answer(report, context=context), expected


def file(citizen, *, category="rac-thai-sai-quy-dinh", point=WEST_POINT, photo=False, **more):
    return services.report_create(
        reporter=citizen,
        category=Category.objects.get(code=category),
        description="Rác thải đổ trộm ở đầu ngõ.",
        location=Point(*point, srid=4326) if point is not None else None,
        photos_prepared=[photos.photo_prepare(upload("a.jpg", phone_jpeg()))] if photo else (),
        **more,
    )


def test_a_new_report_is_answered_as_its_serializer_would(city, citizen):
    answer, expected = both(file(citizen, accuracy_m=12))
    assert answer == expected
    assert answer["area"] == {"code": city.west.code, "name": city.west.name}
    assert answer["location"] == {"type": "Point", "coordinates": list(WEST_POINT)}
    assert answer["accuracy_m"] == 12.0 and answer["photos"] == []
    assert answer["created_at"].endswith("+07:00")  # in the city's zone, as DRF writes it


def test_a_report_with_photos_is_answered_as_its_serializer_would(city, citizen, media_root):
    report = file(citizen, photo=True)
    answer, expected = both(report)
    assert answer == expected
    [photo] = answer["photos"]
    assert photo["url"].startswith("http://testserver/")  # absolute, from the request


def test_a_report_without_a_place_is_answered_as_its_serializer_would(city, citizen):
    AgencyFactory(code="tt-phuc-vu-hcc", kind=AgencyKind.CITY)
    answer, expected = both(file(citizen, category="thu-tuc-ho-tich", point=None))
    assert answer == expected
    assert answer["area"] is None and answer["location"] is None
    assert answer["accuracy_m"] is None


def test_a_replay_reads_its_photos_back_as_its_serializer_does(city, citizen, media_root):
    first = file(citizen, photo=True, idempotency=("k-1", "body"))
    again, created = services.report_create_idempotent(
        reporter=citizen,
        key="k-1",
        request_hash="body",
        category=first.category,
        description=first.description,
        location=first.location,
    )
    assert not created and not hasattr(again, "photos_filed")
    answer, expected = both(again)
    assert answer == expected and len(answer["photos"]) == 1


def test_the_possible_duplicates_are_answered_as_their_serializer_would(city, citizen):
    for offset in (0.0003, 0.0006):  # open reports of the category nearby
        ReportFactory(
            agency=city.west_agency,
            area=city.west,
            category=Category.objects.get(code="rac-thai-sai-quy-dinh"),
            location=Point(WEST_POINT[0] + offset, WEST_POINT[1], srid=4326),
        )
    candidates = file(citizen).duplicates_at_filing
    answer = duplicate_candidates_answer(candidates)
    assert len(answer) == 2
    assert answer == DuplicateCandidateSerializer(candidates, many=True).data
    assert answer[0]["distance_m"] < answer[1]["distance_m"]
