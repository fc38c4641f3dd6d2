"""Who handles a report: the one home of the "area + category → agency" decision.

The order of precedence, for the areas containing a report (lowest level first):

1. a routing rule for the category in one of those areas (the lowest-level area wins);
2. a category-only rule (e.g. street lighting → the city lighting company);
3. when the category names a `handling_level`, the agency whose jurisdiction holds the
   report's area at that level;
4. the agency whose jurisdiction holds the lowest-level area (the ward's People's
   Committee), then the next level up, and so on.

A report without a location (administrative categories only) can use rules 2 and, failing
that, the city-level agency.

`route_point` decides for one report at create time, from one statement that finds the
areas and reads the category's choices in them. `reroute_open_reports` applies the same
decision to every open report at once when a new boundary generation is activated: the point
lookup runs as one SQL statement (plus one for the few points just outside every area), the
decision runs once per distinct (area, category) pair (a few thousand at most, however many
reports there are) over rules and jurisdictions loaded in two queries, and the update and the
events are one statement each. bench/results.md has the measured rates.

`route_ctes` is the same decision written in SQL, for a citizen's filing that routes inside
its one statement (reports.express); tests/reports/test_express.py holds it equal to
`route_point` on every combination of rules, handling levels and jurisdictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from boundaries.models import Area, Generation
from boundaries.selectors import (
    CURRENT_COVERING_AREA_ID,
    CURRENT_COVERING_SQL,
    CURRENT_COVERING_WIDTH,
    area_lookup_current,
    current_covering_column,
)
from reports import exceptions
from reports.models import (
    OPEN_STATUSES,
    Agency,
    AgencyKind,
    Category,
    EventKind,
)

REROUTE_NOTE = "Định tuyến lại theo địa giới hành chính mới ({generation})."

# Metres per degree of latitude; a degree of longitude is shorter by cos(latitude).
_METRES_PER_DEGREE = 111_320.0
# Hanoi's latitude is about 21°N; 0.9 keeps the degree box generous for the whole of Vietnam.
_MIN_COS_LAT = 0.9


@dataclass(frozen=True)
class Route:
    """Where a report goes: its area (None without a location), generation and agency."""

    agency: Agency
    area: Area | None
    generation: Generation | None


@dataclass(frozen=True)
class _RoutingData:
    """What the routing decision reads, loaded once for every area and category at hand."""

    rules: dict[tuple[int, int | None], int]  # (category, area or None for city-wide) → agency
    holders: dict[int, int]  # area → the agency (smallest code) whose jurisdiction holds it
    agencies: dict[int, Agency]  # every active agency named above, whole


# The categories' rules in the areas (or city-wide) and the jurisdictions holding the areas,
# each with its whole agency row, in one statement: every filing runs it (for one category and
# its areas), and a re-route once for all pairs at hand.
_AGENCY_FIELDS = list(Agency._meta.concrete_fields)
_AGENCY_COLUMNS = ", ".join(f"ag.{f.column}" for f in _AGENCY_FIELDS)
_CHOICES_SQL = f"""
    SELECT 'rule', r.category_id, r.area_id, {_AGENCY_COLUMNS}
    FROM reports_routingrule AS r JOIN reports_agency AS ag ON ag.id = r.agency_id
    WHERE ag.active AND r.category_id = ANY(%(categories)s)
      AND (r.area_id IS NULL OR r.area_id = ANY(%(areas)s))
    UNION ALL
    SELECT 'holder', NULL, aa.area_id, {_AGENCY_COLUMNS}
    FROM reports_agency_areas AS aa JOIN reports_agency AS ag ON ag.id = aa.agency_id
    WHERE ag.active AND aa.area_id = ANY(%(areas)s)
"""  # noqa: S608 (column names from model meta; values are parameters)


def _routing_data(*, category_ids: set[int], area_ids: set[int]) -> _RoutingData:
    with connection.cursor() as cursor:
        cursor.execute(_CHOICES_SQL, {"categories": list(category_ids), "areas": list(area_ids)})
        return _routing_data_from(cursor.fetchall())


def _routing_data_from(rows: list[tuple]) -> _RoutingData:
    """The rules, jurisdictions and agencies in rows of `_CHOICES_SQL`."""
    names = [f.attname for f in _AGENCY_FIELDS]
    agencies = {
        agency.pk: agency
        for agency in (Agency.from_db(connection.alias, names, row[3:]) for row in rows)
    }
    rules: dict[tuple[int, int | None], int] = {}
    holders: dict[int, int] = {}
    # By agency code, so an area held by two agencies goes to the smaller code.
    for kind, category_id, area_id, agency_id, *_ in sorted(
        rows, key=lambda row: agencies[row[3]].code
    ):
        if kind == "rule":
            rules[category_id, area_id] = agency_id
        else:
            holders.setdefault(area_id, agency_id)
    return _RoutingData(rules=rules, holders=holders, agencies=agencies)


# A new report's routing in one round trip: the point lookup in the current generation
# (boundaries.selectors.CURRENT_COVERING_SQL) and the category's choices in the areas it
# finds. A row is either the lookup's (its choice columns NULL) or a choice (its lookup
# columns NULL); the lookup's columns are numbered because its generation, area and level
# each have an id. A filing had them as two statements, a sixth of its time.
_LOOKUP_COLUMNS = ", ".join(f"c{i}" for i in range(CURRENT_COVERING_WIDTH))
_CHOICE_WIDTH = 3 + len(_AGENCY_FIELDS)
_ROUTE_SQL = f"""
    WITH lookup ({_LOOKUP_COLUMNS}) AS MATERIALIZED ({CURRENT_COVERING_SQL})
    SELECT {_LOOKUP_COLUMNS}, {", ".join(["NULL"] * _CHOICE_WIDTH)} FROM lookup
    UNION ALL
    SELECT {", ".join(["NULL"] * CURRENT_COVERING_WIDTH)}, choice.*
    FROM ({
    _CHOICES_SQL.replace(
        "%(areas)s",
        f"ARRAY(SELECT c{CURRENT_COVERING_AREA_ID} FROM lookup"
        f" WHERE c{CURRENT_COVERING_AREA_ID} IS NOT NULL)",
    )
}) AS choice
"""  # noqa: S608 (column names from model meta; values are parameters)


def _covering(model: str, field: str) -> str:
    return f"c{current_covering_column(model, field)}"


def route_ctes(*, category: str, handling_level: str) -> str:
    """Common table expressions that route a point in one statement of the caller's: `lookup`
    (CURRENT_COVERING_SQL, so the statement binds `lon` and `lat`), `route_chain` (the areas
    that route_point's lookup chooses, one per level) and `route`: one row of the current
    generation, the lowest-level area and the agency `_decide` would choose, each with its id,
    code and name, or no row where route_point does more than decide (a point outside every
    area, snapped to one nearby or to no agency). `category` and `handling_level` are the SQL
    of the category's id and its handling level's (may be NULL).

    The same precedence as `_decide`, written for the database so a report's filing can be
    one statement (reports.express); tests/reports/test_express.py holds the two equal on
    every combination of rules and jurisdictions."""
    rank, code = _covering("level", "rank"), _covering("area", "code")
    area = _covering("area", "id")
    return f"""lookup ({_LOOKUP_COLUMNS}) AS MATERIALIZED ({CURRENT_COVERING_SQL}),
route_chain AS (
    SELECT DISTINCT ON ({rank}) {_covering("generation", "id")} AS generation_id,
           {area} AS area_id, {code} AS code, {_covering("area", "name")} AS name,
           {_covering("area", "level")} AS level_id, {rank} AS rank
    FROM lookup WHERE {area} IS NOT NULL
    ORDER BY {rank} DESC, {code}
),
route AS (
    SELECT lowest.generation_id, lowest.area_id, lowest.code AS area_code,
           lowest.name AS area_name, ag.id AS agency_id, ag.code AS agency_code,
           ag.name AS agency_name
    FROM (SELECT * FROM route_chain ORDER BY rank DESC LIMIT 1) AS lowest,
    LATERAL (
        SELECT choice.agency_id FROM (
            SELECT 1 AS step, -c.rank AS prefer, 0 AS prefer_next, r.agency_id
            FROM route_chain AS c JOIN reports_routingrule AS r ON r.area_id = c.area_id
            WHERE r.category_id = {category}
            UNION ALL
            SELECT 2, 0, 0, r.agency_id FROM reports_routingrule AS r
            WHERE r.category_id = {category} AND r.area_id IS NULL
            UNION ALL
            SELECT 3, CASE WHEN c.level_id = {handling_level} THEN 0 ELSE 1 END, -c.rank,
                   aa.agency_id
            FROM route_chain AS c JOIN reports_agency_areas AS aa ON aa.area_id = c.area_id
        ) AS choice JOIN reports_agency AS held ON held.id = choice.agency_id AND held.active
        ORDER BY choice.step, choice.prefer, choice.prefer_next, held.code
        LIMIT 1
    ) AS decided JOIN reports_agency AS ag ON ag.id = decided.agency_id
)"""  # noqa: S608 (column names from model meta; `category` and `handling_level` are SQL)


def _decide(category: Category, areas: Sequence[Area], data: _RoutingData) -> int | None:
    """The precedence in this module's docstring, for one report; None when no agency fits."""
    for area in areas:
        if (category.pk, area.pk) in data.rules:
            return data.rules[category.pk, area.pk]
    if (category.pk, None) in data.rules:
        return data.rules[category.pk, None]
    ordered = list(areas)
    if category.handling_level_id is not None:
        at_level = [a for a in areas if a.level_id == category.handling_level_id]
        ordered = at_level + [a for a in areas if a not in at_level]
    for area in ordered:
        if area.pk in data.holders:
            return data.holders[area.pk]
    return None


def agency_for(*, category: Category, areas: Sequence[Area]) -> Agency | None:
    """The agency that handles `category` for a report inside `areas` (lowest level first)."""
    data = _routing_data(category_ids={category.pk}, area_ids={a.pk for a in areas})
    agency = _agency_chosen(category, areas, data)
    if agency is None and not areas:
        return Agency.objects.filter(kind=AgencyKind.CITY, active=True).order_by("code").first()
    return agency


def _agency_chosen(category: Category, areas: Sequence[Area], data: _RoutingData) -> Agency | None:
    agency_id = _decide(category, areas, data)
    return data.agencies[agency_id] if agency_id is not None else None


def route_point(*, category: Category, lon: float | None, lat: float | None) -> Route:
    """Route a new report at (lon, lat) in the current generation, or raise NotRouted."""
    if lon is None or lat is None:
        agency = agency_for(category=category, areas=[])
        if agency is None:
            raise exceptions.NotRouted(
                exceptions.NO_AGENCY_WITHOUT_LOCATION.format(category=category.code)
            )
        return Route(agency=agency, area=None, generation=Generation.objects.current())
    with connection.cursor() as cursor:
        cursor.execute(_ROUTE_SQL, {"lon": lon, "lat": lat, "categories": [category.pk]})
        rows = cursor.fetchall()
    width = CURRENT_COVERING_WIDTH
    lookup = area_lookup_current(
        [row[:width] for row in rows if row[width] is None], lon=lon, lat=lat
    )
    if lookup.generation is None:
        raise exceptions.NotRouted(exceptions.NO_BOUNDARIES)
    if not lookup.covered:
        raise exceptions.NotRouted(exceptions.OUTSIDE_EVERY_AREA.format(lon=lon, lat=lat))
    if lookup.snapped:
        # Near an area but in none: the statement's choices were for no area.
        agency = agency_for(category=category, areas=lookup.areas)
    else:
        data = _routing_data_from([row[width:] for row in rows if row[width] is not None])
        agency = _agency_chosen(category, lookup.areas, data)
    if agency is None:
        raise exceptions.NotRouted(
            exceptions.NO_AGENCY.format(category=category.code, area=lookup.lowest.name)
        )
    return Route(agency=agency, area=lookup.lowest, generation=lookup.generation)


# For every open located report, the lowest-level area of the new generation whose pieces
# cover its point, ties to the smaller code like area_lookup. Written as a join driven from
# the pieces rather than a per-report LATERAL probe: each piece is the first argument of
# ST_Covers for a run of consecutive reports, PostGIS reuses its prepared geometry, and
# routing a city's reports is about 5x faster (bench/, case 1). The FROM clause is in the
# order the statement must run (reroute_covered fixes the join order): the planner's row
# estimates for a spatial join are far off (25 thousand for a million), and left free it
# drove a parallel plan from the one-row level table, which gave one process all the work.
# A temporary table holds the answer because the statements below read it.
_REROUTE_COVERED_SQL = """
    CREATE TEMPORARY TABLE reports_reroute ON COMMIT DROP AS
    SELECT DISTINCT ON (r.id)
           r.id AS report_id, r.category_id, r.agency_id AS old_agency_id,
           r.area_id AS old_area_id, a.id AS area_id
    FROM boundaries_areapiece AS p
    JOIN boundaries_area AS a ON a.id = p.area_id
    JOIN boundaries_level AS l ON l.id = a.level_id
    JOIN reports_report AS r ON p.geom && r.location AND ST_Covers(p.geom, r.location)
    WHERE r.status = ANY(%(open)s) AND r.location IS NOT NULL
      AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
    ORDER BY r.id, l.rank DESC, a.code
"""

# Planner settings for the covered-points statement alone (see reroute_covered).
# The parallel part is public: bench/ gives its plain-join reference the same freedom. The
# app's sessions start no parallel workers (geo/settings.py, DB_SESSION_OPTIONS); this
# statement asks for PostgreSQL's default two.
PARALLEL_PLANNING = {
    "max_parallel_workers_per_gather": "2",
    "min_parallel_table_scan_size": "0",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
}
_REROUTE_COVERED_SETTINGS = {**PARALLEL_PLANNING, "join_collapse_limit": "1", "work_mem": "128MB"}


def reroute_covered(cursor, params: dict) -> None:
    """Fill the temporary table reports_reroute with `_REROUTE_COVERED_SQL`, in parallel.

    A generation's areas and pieces are small tables (126 wards in about a thousand pieces for
    Hanoi), below the size from which PostgreSQL plans a parallel scan
    (min_parallel_table_scan_size, 8 MB by default), yet each piece drives a long run of
    index probes and point-in-polygon tests. The planner also estimates the spatial join at
    a fortieth of its rows, so it prices parallel workers as not worth starting. With those
    costs set aside and the joins in the order written, the areas are split among the
    workers, each keeping its pieces' prepared geometries: about 1.7x faster for a million
    reports on 2 cores (bench/, case 1), and the sort that keeps one area per report stays
    in memory. The settings are put back right after, so nothing else in the caller's
    transaction plans differently (on an error, the rollback puts them back).
    """
    names = list(_REROUTE_COVERED_SETTINGS)
    cursor.execute("SELECT current_setting(name) FROM unnest(%s::text[]) AS name", [names])
    previous = [row[0] for row in cursor.fetchall()]
    set_many = (
        "SELECT set_config(name, value, true) FROM unnest(%s::text[], %s::text[]) AS s(name, value)"
    )
    cursor.execute(set_many, [names, list(_REROUTE_COVERED_SETTINGS.values())])
    cursor.execute(_REROUTE_COVERED_SQL, params)
    cursor.execute(set_many, [names, previous])


# The few points just outside every area: the nearest area within the edge tolerance, the
# same forgiveness area_lookup gives a new report. `&&` with a degree box is only the index
# prefilter; the distance is measured on the spheroid. Separate from the statement above so
# the costly geography distances are computed only for these points.
_REROUTE_NEAR_SQL = """
    INSERT INTO reports_reroute (report_id, category_id, old_agency_id, old_area_id, area_id)
    SELECT r.id, r.category_id, r.agency_id, r.area_id, best.area_id
    FROM reports_report AS r
    CROSS JOIN LATERAL (
        SELECT a.id AS area_id
        FROM boundaries_areapiece AS p
        JOIN boundaries_area AS a ON a.id = p.area_id
        JOIN boundaries_level AS l ON l.id = a.level_id
        WHERE p.geom && ST_Expand(r.location, %(degrees)s)
          AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
          AND ST_DWithin(p.geom::geography, r.location::geography, %(tolerance)s)
        ORDER BY l.rank DESC, ST_Distance(p.geom::geography, r.location::geography), a.code
        LIMIT 1
    ) AS best
    WHERE r.status = ANY(%(open)s) AND r.location IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM reports_reroute AS t WHERE t.report_id = r.id)
"""

# Move the reports into the generation; where no agency answers for the new area, the old
# agency keeps the report. A report already where the generation puts it is not written.
_REROUTE_UPDATE_SQL = """
    UPDATE reports_report AS r
    SET area_id = t.area_id,
        generation_id = %(generation)s,
        agency_id = COALESCE(m.agency_id, r.agency_id),
        updated_at = %(now)s
    FROM reports_reroute AS t
    LEFT JOIN unnest(%(areas)s::bigint[], %(categories)s::bigint[], %(agencies)s::bigint[])
        AS m(area_id, category_id, agency_id)
        ON m.area_id = t.area_id AND m.category_id = t.category_id
    WHERE r.id = t.report_id
      AND (r.area_id, r.generation_id, r.agency_id)
          IS DISTINCT FROM (t.area_id, %(generation)s, COALESCE(m.agency_id, r.agency_id))
"""

# One public "reroute" event per report whose handling changed, in the same transaction:
# another agency, or another area (by code: an area redrawn under its old code is the same
# ward to the reporter). A report whose ward was only redrawn, or not touched at all, has
# nothing new to tell its reporter, so a generation that moves one ward's border does not
# write an event on every open report of the city.
_REROUTE_EVENTS_SQL = """
    INSERT INTO reports_reportevent
        (report_id, actor_id, kind, old_status, new_status, from_agency_id, to_agency_id,
         note, public, created_at)
    SELECT r.id, NULL, %(kind)s, r.status, r.status, t.old_agency_id, r.agency_id,
           %(note)s, TRUE, %(now)s
    FROM reports_reroute AS t
    JOIN reports_report AS r ON r.id = t.report_id
    JOIN boundaries_area AS new ON new.id = r.area_id
    LEFT JOIN boundaries_area AS old ON old.id = t.old_area_id
    WHERE r.agency_id IS DISTINCT FROM t.old_agency_id
       OR (old.code, old.level_id) IS DISTINCT FROM (new.code, new.level_id)
"""


def reroute_open_reports(*, generation: Generation) -> int:
    """Re-route every open located report into `generation`; returns how many changed
    hands (another agency or another area, each with a public "reroute" event).

    Closed, rejected and duplicate reports keep the area and generation they were handled
    under. Open reports whose point no area of the new generation covers (within tolerance)
    are left where they are. Runs inside the caller's transaction (the activation's).
    """
    tolerance = settings.BOUNDARIES_EDGE_TOLERANCE_M
    degrees = tolerance / (_METRES_PER_DEGREE * _MIN_COS_LAT)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.reports_reroute")
        params = {
            "degrees": degrees,
            "generation": generation.pk,
            "tolerance": tolerance,
            "open": [str(s) for s in OPEN_STATUSES],
        }
        reroute_covered(cursor, params)
        cursor.execute("CREATE INDEX ON reports_reroute (report_id)")
        cursor.execute(_REROUTE_NEAR_SQL, params)
        cursor.execute("ANALYZE reports_reroute")
        cursor.execute("SELECT DISTINCT area_id, category_id FROM reports_reroute")
        pairs = cursor.fetchall()
        mapping = agencies_for_pairs(pairs)
        cursor.execute(
            _REROUTE_UPDATE_SQL,
            {
                "generation": generation.pk,
                "now": now,
                "areas": [p[0] for p in mapping],
                "categories": [p[1] for p in mapping],
                "agencies": list(mapping.values()),
            },
        )
        cursor.execute(
            _REROUTE_EVENTS_SQL,
            {
                "kind": EventKind.REROUTE.value,
                "note": REROUTE_NOTE.format(generation=generation.name),
                "now": now,
            },
        )
        moved = cursor.rowcount
        cursor.execute("DROP TABLE pg_temp.reports_reroute")
    return moved


def agencies_for_pairs(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Decide each distinct (area, category) pair once, from data loaded in a few queries.

    The areas above the lowest one come from its parent chain, which is how an import
    records the hierarchy.
    """
    if not pairs:
        return {}
    chains = _area_chains({area_id for area_id, _ in pairs})
    categories = Category.objects.in_bulk({category_id for _, category_id in pairs})
    data = _routing_data(
        category_ids=set(categories),
        area_ids={area.pk for chain in chains.values() for area in chain},
    )
    mapping: dict[tuple[int, int], int] = {}
    for area_id, category_id in pairs:
        agency_id = _decide(categories[category_id], chains[area_id], data)
        if agency_id is not None:
            mapping[(area_id, category_id)] = agency_id
    return mapping


def _area_chains(area_ids: set[int]) -> dict[int, list[Area]]:
    """Each area followed by its ancestors, loaded a level at a time without geometries."""
    loaded: dict[int, Area] = {}
    pending = set(area_ids)
    while pending:
        batch = Area.objects.defer("geom").in_bulk(pending)
        loaded.update(batch)
        pending = {a.parent_id for a in batch.values() if a.parent_id and a.parent_id not in loaded}
    chains: dict[int, list[Area]] = {}
    for area_id in area_ids:
        chain: list[Area] = []
        area = loaded.get(area_id)
        while area is not None and area not in chain:
            chain.append(area)
            area = loaded.get(area.parent_id) if area.parent_id else None
        chains[area_id] = chain
    return chains
