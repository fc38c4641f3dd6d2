"""Pages of the report lists: GeoJSON FeatureCollections whose features PostgreSQL writes.

A page is one statement, its count and its features together
(reports.selectors.report_feature_page), and the features' JSON goes to the client as the
bytes PostgreSQL wrote: parsing it and writing it again in Python cost more than building it,
and even decoding and encoding it again cost about 0.6 ms a page of 500.
"""

from __future__ import annotations

import json

from django.core.paginator import InvalidPage, Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from reports import selectors
from reports.models import Report

# A list counts the reports it matches exactly up to this many. Counting a city's whole
# history on every page cost 170 ms at a million reports; nobody pages through more than
# this, and filters (dates, in_bbox, status, area) narrow any question below it.
LIST_COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most LIST_COUNT_CAP + 1 rows (the +1 tells "more than the cap")."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: LIST_COUNT_CAP + 1].count()


class PrewrittenJSONResponse(Response):
    """An answer whose JSON is already written: JSON clients get those bytes as they are, and
    only the browsable API (HTML) parses them, to show them."""

    def __init__(self, content: bytes):
        super().__init__()
        self.json_content = content

    @property
    def rendered_content(self):
        renderer = self.accepted_renderer
        if isinstance(renderer, JSONRenderer):
            self["Content-Type"] = renderer.media_type
            return self.json_content
        self.data = json.loads(self.json_content)
        return super().rendered_content


class ReportPagination(GeoJsonPagination):
    """Pages of a FeatureCollection; a client may ask for up to 500 features at a time.

    `count` is exact up to LIST_COUNT_CAP; beyond it `count_exact` is false, `count` is the
    cap, and pages stop there: narrow the question with filters to go further.
    """

    page_size = 100
    max_page_size = 500
    django_paginator_class = CappedCountPaginator

    def feature_page(self, reports: QuerySet[Report], request: Request) -> Response:
        """The page of `reports` that `request` asks for, as DRF's GeoJsonPagination answers
        it (same keys, links and 404 "Invalid page."), in one statement: two for page=last,
        which needs the count first."""
        self.request = request
        paginator = self.django_paginator_class(reports, self.get_page_size(request))
        page_number = self.get_page_number(request, paginator)
        try:
            number = _page_within_cap(page_number, paginator.per_page)
            offset = (number - 1) * paginator.per_page
            paginator.count, features = selectors.report_feature_page(
                reports,
                offset=offset,
                # The capped count ends the last page early, as Paginator.page cuts it.
                limit=min(paginator.per_page, LIST_COUNT_CAP + 1 - offset),
                count_upto=LIST_COUNT_CAP + 1,
                now=timezone.now(),
            )
            self.page = paginator.page(number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=exc)
            raise NotFound(message) from exc
        self.display_page_controls = paginator.num_pages > 1 and self.template is not None
        counted = paginator.count
        head = {
            "type": "FeatureCollection",
            "count": min(counted, LIST_COUNT_CAP),
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
        }
        # GeoJsonPagination's keys and order, with the features' bytes spliced in unparsed.
        opening = f'{json.dumps(head, ensure_ascii=False)[:-1]}, "features": '
        closing = f', "count_exact": {json.dumps(counted <= LIST_COUNT_CAP)}}}'
        return PrewrittenJSONResponse(b"".join((opening.encode(), features, closing.encode())))

    def get_paginated_response_schema(self, view) -> dict:
        schema = super().get_paginated_response_schema(view)
        schema["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"false when more than {LIST_COUNT_CAP} reports match",
        }
        return schema


def _page_within_cap(number, per_page: int) -> int:
    """`number` read and checked as Paginator.validate_number does, against the most pages a
    capped count can make: before a page's statement has counted, a page number past those is
    refused (404) without asking the database."""
    most = Paginator((), per_page)
    most.count = LIST_COUNT_CAP + 1
    return most.validate_number(number)
