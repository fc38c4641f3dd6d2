"""The admin lists and shows reference data and reports without loading a map from a CDN."""

import pytest

from reports.models import Category
from tests.factories.reports import ReportFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    staff = UserFactory(username="quantri", roles=[], is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/reports/category/",
        "/admin/reports/agency/",
        "/admin/reports/routingrule/",
        "/admin/reports/holiday/",
        "/admin/reports/report/",
        "/admin/accounts/profile/",
    ],
)
def test_admin_changelists_render(admin_client_logged_in, city, path):
    ReportFactory(agency=city.west_agency, area=city.west)
    assert admin_client_logged_in.get(path).status_code == 200


def test_a_report_page_shows_its_location_as_text_and_loads_no_remote_map(
    admin_client_logged_in, city
):
    report = ReportFactory(agency=city.west_agency, area=city.west, accuracy_m=12)
    page = admin_client_logged_in.get(f"/admin/reports/report/{report.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "105.805000, 21.005000 ± 12 m" in text
    assert "cdn" not in text.lower()
    assert "openlayers" not in text.lower()


def test_category_names_and_deadlines_are_editable_in_the_admin(admin_client_logged_in):
    category = Category.objects.get(code="ngap-ung")
    page = admin_client_logged_in.get(f"/admin/reports/category/{category.pk}/change/")
    assert page.status_code == 200
    assert 'name="deadline_days"' in page.content.decode()
