"""The admin lists and shows reference data and reports without loading a map from a CDN."""

import pytest

from reports import notifications as notices
from reports.models import Category, Notice
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
        "/admin/reports/notice/",
        "/admin/reports/notice/?failed_at__isempty=0",
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


def test_the_outbox_is_for_superusers_and_cannot_be_edited(client, city, west_official):
    ReportFactory(agency=city.west_agency, area=city.west)
    notices.enqueue([("Chủ đề", "Nội dung", "a@example.vn", [west_official.email])], "status")
    notice = Notice.objects.get()
    staff = UserFactory(username="nhanvien", roles=[], is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/reports/notice/").status_code == 403
    root = UserFactory(username="quantri", roles=[], is_staff=True, is_superuser=True)
    client.force_login(root)
    page = client.get(f"/admin/reports/notice/{notice.pk}/change/")
    assert page.status_code == 200
    assert 'name="subject"' not in page.content.decode()  # read-only
    assert client.get("/admin/reports/notice/add/").status_code == 403
