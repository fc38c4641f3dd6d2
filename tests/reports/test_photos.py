"""Report photos: only real images are kept, stripped of every metadata byte, under random
names; a refused photo stores nothing at all, and a rolled-back report leaves no file."""

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reports import photos, services
from reports.models import AgencyKind, Category, PhotoKind, Report, ReportPhoto, Status
from tests.factories.reports import AgencyFactory, ReportFactory

from .conftest import WEST_POINT, client_for, stored_files
from .images import GPS_LON_LAT, image_bytes, phone_jpeg, png_bomb, upload

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"


def form(**overrides) -> dict:
    """A multipart submission: `location` travels as GeoJSON text."""
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác đổ trộm cạnh cột điện.",
        "location": json.dumps({"type": "Point", "coordinates": list(WEST_POINT)}),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _open_stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        return Image.open(io.BytesIO(handle.read()))


def test_a_phone_jpeg_is_stored_without_any_exif_and_its_gps_becomes_the_suggestion(
    city, citizen, api_client, media_root
):
    """An administrative report without a location is filed (201); the photo's EXIF GPS
    comes back as suggested_location only, and the stored image and thumbnail carry no EXIF
    at all, upright (orientation applied) and under a random name."""
    AgencyFactory(code="tt-phuc-vu-hcc", kind=AgencyKind.CITY)
    response = client_for(api_client, citizen).post(
        REPORTS,
        form(
            category="thu-tuc-ho-tich",
            description="Hỏi về thủ tục trích lục khai sinh.",
            location=None,
            photos=[upload("IMG_2041 Nguyen Van A.jpg", phone_jpeg())],
        ),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    suggested = body["suggested_location"]
    assert suggested["type"] == "Point"
    assert suggested["coordinates"] == pytest.approx(list(GPS_LON_LAT), abs=1e-9)
    report = Report.objects.get(tracking_code=body["tracking_code"])
    assert report.location is None  # offered, never stored
    (photo,) = ReportPhoto.objects.filter(report=report)
    assert photo.kind == PhotoKind.BEFORE
    assert "Nguyen" not in photo.image.name and "IMG_2041" not in photo.image.name
    for name in (photo.image.name, photo.thumbnail.name):
        stored = _open_stored(name)
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(0x8825) == {}
        assert "exif" not in stored.info and "icc_profile" not in stored.info
    image = _open_stored(photo.image.name)
    assert image.size == (480, 640)  # orientation 6 applied: the landscape pixels stand up
    assert max(_open_stored(photo.thumbnail.name).size) <= photos.THUMBNAIL_SIDE
    (listed,) = body["photos"]
    assert listed["kind"] == "before"
    assert listed["url"].endswith(photo.image.url)
    assert listed["thumbnail_url"].endswith(photo.thumbnail.url)
    # The stored JPEG bytes themselves hold no EXIF or GPS marker.
    with default_storage.open(photo.image.name, "rb") as handle:
        raw = handle.read()
    assert b"Exif" not in raw and b"Canon" not in raw


def test_an_on_site_report_without_location_gets_400_with_the_photos_position(
    city, citizen, api_client, media_root
):
    response = client_for(api_client, citizen).post(
        REPORTS, form(location=None, photos=[upload("a.jpg", phone_jpeg())]), format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert "location" in body
    assert body["suggested_location"]["coordinates"] == pytest.approx(list(GPS_LON_LAT), abs=1e-9)
    assert not Report.objects.exists()
    assert stored_files(media_root) == []


def test_an_on_site_report_with_photos_lists_them_in_its_answer_and_detail(
    city, citizen, api_client, media_root
):
    client = client_for(api_client, citizen)
    response = client.post(
        REPORTS,
        form(
            photos=[
                upload("one.png", image_bytes("PNG"), "image/png"),
                upload("two.webp", image_bytes("WEBP"), "image/webp"),
            ]
        ),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "suggested_location" not in body
    assert [p["kind"] for p in body["photos"]] == ["before", "before"]
    assert len(stored_files(media_root)) == 4  # two images, two thumbnails
    detail = api_client.get(f"{REPORTS}/{body['tracking_code']}").json()["properties"]
    assert [p["id"] for p in detail["photos"]] == [p["id"] for p in body["photos"]]


def test_a_heic_photo_is_accepted_and_stored_as_a_jpeg(city, citizen, api_client, media_root):
    response = client_for(api_client, citizen).post(
        REPORTS,
        form(photos=[upload("IMG_1.HEIC", image_bytes("HEIF"), "image/heic")]),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    photo = ReportPhoto.objects.get()
    assert _open_stored(photo.image.name).format == "JPEG"
    assert photo.image.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.jpg", b"This is a text file, renamed.\n" * 20, photos.PHOTO_NOT_IMAGE),
        ("bomb.png", png_bomb(), photos.PHOTO_TOO_MANY_PIXELS),
        ("anim.gif", b"GIF89a" + b"\x00" * 64, photos.PHOTO_NOT_IMAGE),
        ("empty.jpg", b"", photos.PHOTO_EMPTY),
    ],
)
def test_a_file_that_is_not_an_acceptable_image_gets_400_naming_it_and_stores_nothing(
    city, citizen, api_client, media_root, name, data, message
):
    """Refused together with a good photo: neither the report nor any file is stored."""
    response = client_for(api_client, citizen).post(
        REPORTS,
        form(photos=[upload("good.jpg", phone_jpeg()), upload(name, data)]),
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert response.json()["photos"] == [message.format(name=name)]
    assert not Report.objects.exists()
    assert not ReportPhoto.objects.exists()
    assert stored_files(media_root) == []


def test_a_real_gif_is_refused_as_a_format_we_do_not_accept(city, citizen, api_client, media_root):
    response = client_for(api_client, citizen).post(
        REPORTS, form(photos=[upload("x.jpg", image_bytes("GIF"), "image/gif")]), format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["photos"] == [photos.PHOTO_BAD_FORMAT.format(name="x.jpg", format="GIF")]
    assert not Report.objects.exists()


def test_more_than_four_photos_or_one_over_10_mb_are_refused(city, citizen, api_client, media_root):
    client = client_for(api_client, citizen)
    five = [upload(f"p{i}.jpg", phone_jpeg(gps=False)) for i in range(5)]
    response = client.post(REPORTS, form(photos=five), format="multipart")
    assert response.status_code == 400
    assert response.json()["photos"] == [photos.PHOTO_TOO_MANY]
    huge = SimpleUploadedFile("big.jpg", b"\xff" * (photos.MAX_BYTES + 1), "image/jpeg")
    response = client.post(REPORTS, form(photos=[huge]), format="multipart")
    assert response.status_code == 413
    assert response.json()["photos"] == [photos.PHOTO_TOO_BIG.format(name="big.jpg")]
    assert not Report.objects.exists()
    assert stored_files(media_root) == []


def test_a_report_that_rolls_back_after_its_photos_were_written_leaves_no_file(
    city, citizen, media_root, monkeypatch
):
    """The files are written inside the transaction; when it fails they are deleted."""
    prepared = photos.photo_prepare(upload("a.jpg", phone_jpeg()))

    def fail(sender, **kwargs):
        assert len(stored_files(media_root)) == 2  # written, then the failure
        raise RuntimeError("a receiver of the new report failed")

    monkeypatch.setattr(services.reports_bulk_changed, "send", fail)
    from django.contrib.gis.geos import Point

    with pytest.raises(RuntimeError):
        services.report_create(
            reporter=citizen,
            category=Category.objects.get(code="rac-thai-sai-quy-dinh"),
            description="Rác.",
            location=Point(*WEST_POINT, srid=4326),
            photos_prepared=[prepared],
        )
    assert not Report.objects.exists()
    assert stored_files(media_root) == []


def test_an_official_attaches_an_after_photo_when_resolving(
    city, west_official, api_client, media_root
):
    report = ReportFactory(agency=city.west_agency, area=city.west, status=Status.IN_PROGRESS)
    client = client_for(api_client, west_official)
    url = f"{REPORTS}/{report.tracking_code}/transition"
    wrong = client.post(
        url,
        {"to_status": "rejected", "note": "x", "photo": upload("after.jpg", phone_jpeg())},
        format="multipart",
    )
    assert wrong.status_code == 400
    assert wrong.json()["photo"] == [services.AFTER_PHOTO_ONLY_ON_RESOLVE]
    assert stored_files(media_root) == []
    response = client.post(
        url,
        {"to_status": "resolved", "note": "Đã dọn.", "photo": upload("after.jpg", phone_jpeg())},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    properties = response.json()["properties"]
    assert properties["status"] == "resolved"
    assert properties["timeline"][-1]["public"] is True  # a form without `public` is public
    assert [p["kind"] for p in properties["photos"]] == ["after"]
    stored = ReportPhoto.objects.get(report=report)
    assert stored.uploaded_by == west_official
    assert dict(_open_stored(stored.image.name).getexif()) == {}


def test_a_body_over_the_form_field_limit_gets_413_with_a_message(
    city, citizen, api_client, media_root, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client_for(api_client, citizen).post(
        REPORTS,
        form(description="Rác " * 5_000, photos=[upload("a.jpg", phone_jpeg())]),
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["detail"]
    assert not Report.objects.exists()
    assert stored_files(media_root) == []
