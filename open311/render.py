"""Answers in the two GeoReport v2 formats: JSON (a list or object) and XML.

XML is built with xml.etree.ElementTree, which escapes text; characters XML 1.0 cannot carry
at all (most C0 controls) are dropped first, so a stray control character in old data cannot
make the document unparseable. Plural containers get singular children, as the spec's
examples do (<attributes><attribute>…, <values><value>…).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")

# Children of list-valued fields and of top-level lists.
SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "services": "service",
    "service_requests": "request",
    "errors": "error",
}

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c_datetime(value: dt.datetime | None) -> str | None:
    """A timestamp as the spec writes it: ISO 8601 with the local offset (+07:00)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        child = SINGULAR[tag]
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def xml_bytes(root: str, content: dict | list) -> bytes:
    """`content` under a `root` element: a dict's items as children, a list's as items."""
    element = ET.Element(root)
    if isinstance(content, dict):
        for key, value in content.items():
            _append(element, key, value)
    else:
        for item in content:
            _append(element, SINGULAR[root], item)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, content: dict | list, status: int = 200) -> HttpResponse:
    """`content` as JSON, or as XML under `root`, with the spec's content types."""
    if fmt == "json":
        body = json.dumps(content, ensure_ascii=False).encode()
        return HttpResponse(body, content_type=JSON_TYPE, status=status)
    return HttpResponse(xml_bytes(root, content), content_type=XML_TYPE, status=status)


def respond_errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error answer: [{code, description}] or <errors><error>…</error></errors>."""
    errors = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt if fmt in FORMATS else "xml", "errors", errors, status=status)
