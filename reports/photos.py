"""Report photos: check that an upload really is an image, strip it, store it safely.

An uploaded file is trusted for nothing, not its name, its content type or its extension.
It is opened with Pillow, its format must be one we accept, `verify()` must pass and a
second, full decode must succeed. Before anything is thrown away, the EXIF GPS position is
read (a report without a location may be offered it); then the EXIF orientation is applied
and the pixels are copied into a brand-new image, so no metadata at all (EXIF, GPS, XMP,
ICC, comments, maker notes) can survive into the stored JPEG or its thumbnail.

Decompression bombs (a few kilobytes of PNG declaring 20,000 x 20,000 pixels) are refused
from the header, before any pixel is decoded.

Files are written through Django's storage API under random names. `stored_files_guard`
deletes the files written inside a block that fails, so a rolled-back report leaves no
orphan file (see its docstring for the one case it cannot see).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
import math
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pillow_heif
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

MAX_PHOTOS = 4
MAX_BYTES = 10 * 1024 * 1024
# 40 megapixels: above every phone camera in use, far below what would exhaust memory.
MAX_PIXELS = 40_000_000
# Stored photos are scaled down to this long side: enough to see a pothole, not a 48 MP file.
MAX_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
# Pillow's names of the formats we accept; HEIC (iPhones) opens as "HEIF".
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})
PHOTO_DIR = "reports/photos"
REDACTED_DIR = "reports/redacted"

# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; we refuse above it.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

PHOTO_TOO_MANY = f"At most {MAX_PHOTOS} photos per report."
PHOTO_TOO_BIG = f"Photo {{name!r}} is larger than {MAX_BYTES // (1024 * 1024)} MB."
PHOTO_NOT_IMAGE = "File {name!r} is not an image we accept (JPEG, PNG, WebP or HEIC)."
PHOTO_BAD_FORMAT = "Photo {name!r} is a {format} image; only JPEG, PNG, WebP and HEIC are accepted."
PHOTO_TOO_MANY_PIXELS = (
    f"Photo {{name!r}} has more than {MAX_PIXELS // 1_000_000} megapixels; nothing was stored."
)
PHOTO_EMPTY = "Photo {name!r} is empty."

_GPS_IFD = 0x8825
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4


class PhotoRejected(Exception):
    """An upload that is not an acceptable photo; `too_large` ones answer 413, others 400."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked, stripped photo ready to store, and the position its EXIF carried."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    gps: tuple[float, float] | None  # (lon, lat) in WGS 84, never stored
    digest: str  # of the uploaded bytes, for idempotency fingerprints


def _display_name(upload: UploadedFile) -> str:
    """The client's file name, only ever echoed in an error message (never stored)."""
    return (upload.name or "photo")[:100]


def photo_prepare(upload: UploadedFile) -> PreparedPhoto:
    """Check `upload` and re-encode it; raise PhotoRejected naming the file otherwise."""
    name = _display_name(upload)
    if upload.size is not None and upload.size > MAX_BYTES:
        raise PhotoRejected(PHOTO_TOO_BIG.format(name=name), too_large=True)
    upload.seek(0)
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise PhotoRejected(PHOTO_TOO_BIG.format(name=name), too_large=True)
    if not raw:
        raise PhotoRejected(PHOTO_EMPTY.format(name=name))
    image = _open_checked(raw, name)
    gps = _exif_gps(image)
    jpeg, thumbnail, width, height = _reencode(image)
    return PreparedPhoto(
        jpeg=jpeg,
        thumbnail=thumbnail,
        width=width,
        height=height,
        gps=gps,
        digest=hashlib.sha256(raw).hexdigest(),
    )


def _open_checked(raw: bytes, name: str) -> Image.Image:
    """Open, verify, reopen and fully decode; refuse other formats and pixel bombs."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(raw))
            if probe.format not in ALLOWED_FORMATS:
                raise PhotoRejected(PHOTO_BAD_FORMAT.format(name=name, format=probe.format))
            _check_pixels(probe, name)
            probe.verify()  # structure and checksums; leaves the image unusable
            image = Image.open(io.BytesIO(raw))
            _check_pixels(image, name)
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(PHOTO_TOO_MANY_PIXELS.format(name=name)) from None
        except PhotoRejected:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            # Pillow reports truncated or corrupt data with any of these.
            raise PhotoRejected(PHOTO_NOT_IMAGE.format(name=name)) from None
    return image


def _check_pixels(image: Image.Image, name: str) -> None:
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise PhotoRejected(PHOTO_TOO_MANY_PIXELS.format(name=name))


def _exif_gps(image: Image.Image) -> tuple[float, float] | None:
    """The (lon, lat) in the image's EXIF GPS block, if present and plausible."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        lat = _degrees(gps.get(_GPS_LATITUDE), gps.get(_GPS_LATITUDE_REF), "S")
        lon = _degrees(gps.get(_GPS_LONGITUDE), gps.get(_GPS_LONGITUDE_REF), "W")
    except (AttributeError, KeyError, TypeError, ValueError, ZeroDivisionError, OSError):
        return None  # malformed EXIF is simply no position
    if lat is None or lon is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lon, lat


def _degrees(value, ref, negative: str) -> float | None:
    """EXIF degrees/minutes/seconds rationals to signed decimal degrees."""
    if not value or len(value) != 3:
        return None
    d, m, s = (float(v) for v in value)
    degrees = d + m / 60 + s / 3600
    if not math.isfinite(degrees):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    return -degrees if str(ref or "").strip().upper() == negative else degrees


def _reencode(image: Image.Image) -> tuple[bytes, bytes, int, int]:
    """Upright, metadata-free JPEG and thumbnail, built from the pixels alone."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image holding only the pixels: no info dict, EXIF, ICC or XMP comes along.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue(), thumb_out.getvalue(), clean.width, clean.height


# Names written inside the innermost active stored_files_guard.
_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "reports_photo_files_written", default=None
)


@contextlib.contextmanager
def stored_files_guard() -> Iterator[None]:
    """Delete the files stored inside this block if it raises.

    Wrap it around a `transaction.atomic()` block: when an exception leaves the guard, the
    atomic block inside has rolled back, so its photo rows are gone and so must their files
    be. Guards nest; files of a successful inner block join the outer one. What no guard can
    see is a rollback of an *enclosing* transaction after the service returned; callers that
    wrap services in their own transaction must guard that too.
    """
    mine: list[str] = []
    parent = _written.get()
    token = _written.set(mine)
    try:
        yield
    except BaseException:
        for name in mine:
            default_storage.delete(name)
        raise
    finally:
        _written.reset(token)
    if parent is not None:
        parent.extend(mine)


def file_store(data: bytes, *, directory: str = PHOTO_DIR, suffix: str = ".jpg") -> str:
    """Write `data` under a random, unguessable name and return the stored name."""
    name = default_storage.save(
        f"{directory}/{secrets.token_urlsafe(18)}{suffix}", ContentFile(data)
    )
    written = _written.get()
    if written is not None:
        written.append(name)
    return name


def file_copy_private(name: str) -> str:
    """Copy a published file to a fresh, never-published name (kept for supervisors)."""
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    return file_store(data, directory=REDACTED_DIR)


def files_delete_on_commit(names: list[str]) -> None:
    """Delete published files once the change hiding them commits (not if it rolls back)."""

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)
