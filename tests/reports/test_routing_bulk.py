"""Bulk routing decides like single-report routing, in a constant number of queries."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reports import routing
from reports.models import AgencyKind, RoutingRule
from tests.factories.reports import AgencyFactory, CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(city):
    """A category-wide rule, an area rule that beats it in one ward, and a plain category."""
    lighting = CategoryFactory(code="den-chieu-sang-test", group="lighting")
    waste = CategoryFactory(code="rac-thai-test")
    company = AgencyFactory(code="chieu-sang-test", kind=AgencyKind.DEPARTMENT)
    contractor = AgencyFactory(code="nha-thau-tay", kind=AgencyKind.DEPARTMENT)
    RoutingRule.objects.create(category=lighting, area=None, agency=company)
    RoutingRule.objects.create(category=lighting, area=city.west, agency=contractor)
    return {"lighting": lighting, "waste": waste, "company": company, "contractor": contractor}


def test_bulk_decisions_equal_one_by_one_decisions(city, rules):
    areas = (city.west, city.east)
    categories = (rules["lighting"], rules["waste"])
    bulk = routing.agencies_for_pairs([(a.pk, c.pk) for a in areas for c in categories])
    for area in areas:
        for category in categories:
            single = routing.agency_for(category=category, areas=[area])
            assert bulk[area.pk, category.pk] == single.pk
    assert bulk[city.west.pk, rules["lighting"].pk] == rules["contractor"].pk
    assert bulk[city.east.pk, rules["lighting"].pk] == rules["company"].pk
    assert bulk[city.east.pk, rules["waste"].pk] == city.east_agency.pk


def test_bulk_routing_queries_do_not_grow_with_the_number_of_pairs(city, rules):
    """Re-routing a city meets thousands of (area, category) pairs; each must not cost queries."""
    small = [(city.west.pk, rules["waste"].pk)]
    many = [
        (area.pk, category.pk)
        for area in (city.west, city.east)
        for category in (rules["lighting"], rules["waste"])
    ]
    with CaptureQueriesContext(connection) as one:
        routing.agencies_for_pairs(small)
    with CaptureQueriesContext(connection) as four:
        routing.agencies_for_pairs(many)
    assert len(four.captured_queries) == len(one.captured_queries)


def test_routing_covered_points_leaves_the_planner_settings_as_it_found_them(city):
    """The parallel-scan and sort-memory settings of the bulk statement do not leak into the
    rest of the caller's transaction."""
    params = {"generation": city.generation.pk, "open": ["received", "in_progress"]}
    with connection.cursor() as cursor:
        before = _settings(cursor)
        cursor.execute("DROP TABLE IF EXISTS pg_temp.reports_reroute")
        routing.reroute_covered(cursor, params)
        after = _settings(cursor)
        cursor.execute("DROP TABLE pg_temp.reports_reroute")
    assert after == before


def _settings(cursor) -> tuple[str, ...]:
    names = ["min_parallel_table_scan_size", "work_mem", "max_parallel_workers_per_gather"]
    cursor.execute("SELECT current_setting(name) FROM unnest(%s::text[]) AS name", [names])
    return tuple(row[0] for row in cursor.fetchall())


def test_the_covered_points_statement_plans_workers_the_session_does_not_start(city):
    """The app's sessions start no parallel workers (DB_SESSION_OPTIONS); the bulk statement
    asks for them, and its plan splits the areas among them even at the test's few rows."""
    params = {"generation": city.generation.pk, "open": ["received", "in_progress"]}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        settings = routing._REROUTE_COVERED_SETTINGS
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute("EXPLAIN " + routing._REROUTE_COVERED_SQL, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    assert "Gather" in plan


def test_the_open_reports_location_index_is_partial():
    """report_open_location_category covers open reports only, as the model declares, keyed on
    the location and the category (migration 0012; Django's PostGIS schema editor drops the
    condition of a single-field spatial index, migration 0007)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'report_open_location_category'"
        )
        (definition,) = cursor.fetchone()
    assert "USING gist (location, category_id) WHERE" in definition
    assert "received" in definition and "in_progress" in definition
