"""Test images built with Pillow alone: a phone JPEG with camera and GPS EXIF, a pixel bomb."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# Hồ Gươm, written the way a phone does: degrees, minutes, seconds and a hemisphere.
GPS_LON_LAT = (105.0 + 51 / 60 + 7.5 / 3600, 21.0 + 1 / 60 + 42.0 / 3600)

_MAKE, _MODEL, _ORIENTATION, _DATETIME, _GPS_IFD = 0x010F, 0x0110, 0x0112, 0x0132, 0x8825


def phone_jpeg(*, gps: bool = True, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG carrying camera EXIF (make, model, time, orientation 6 = rotate 90°) and GPS."""
    exif = Image.Exif()
    exif[_MAKE] = "Canon"
    exif[_MODEL] = "EOS 5D Mark IV"
    exif[_DATETIME] = "2026:03:14 08:15:00"
    exif[_ORIENTATION] = 6
    if gps:
        exif[_GPS_IFD] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 7.5)}
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_bomb() -> bytes:
    """A 20,000 x 20,000 single-colour PNG: some 50 KB on disk, 400 megapixels decoded."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (120, 80)) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, (10, 120, 200, 200) if mode == "RGBA" else (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
