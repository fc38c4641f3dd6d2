"""The report-cell pre-aggregate (tiles.models.ReportCell) and the triggers that keep it.

The SQL is written out here rather than imported from the app, so this migration keeps doing
what it did when it ran. Cells are computed exactly as the counting tile SQL computes them
(tiles.layers `_MERCATOR_CTE` and `_cells_sql`): spherical Mercator by arithmetic on the
WGS 84 semi-major axis, then floor((x + half world) / cell size), with the same float8
constants, so both paths put every report in the same cell. A cell at zoom z is
1/32 of a tile: the world's width divided by 2^(z + 5), exact in binary floating point.

The triggers are statement-level with transition tables, so a bulk INSERT ... SELECT or a
bulk UPDATE is one set-based upsert, not a million row triggers. Each upsert groups its
deltas by key and applies them in key order: concurrent writers lock the rows they share in
the same order, so they queue instead of deadlocking, and ON CONFLICT DO UPDATE adds to the
committed count, so none is lost. PostgreSQL does not accept a column list (UPDATE OF ...)
on a trigger with transition tables, so the UPDATE trigger fires for every update and first
keeps only the rows whose location, category, status or (open) deadline changed: touching
`updated_at` or re-routing to another agency costs a join of the changed rows by id.

OPEN_STATUSES (reports.models) is spelled out below: changing it needs a migration that
rebuilds the rows.
"""

from django.db import migrations, models

# Zooms whose cells are stored (tiles.cells.STORED_ZOOMS at the time of writing).
FIRST_ZOOM, LAST_ZOOM = 8, 15
WORLD_HALF_M = "20037508.342789244"
WORLD_M = "40075016.68557849"
RADIUS_M = "6378137.0"
OPEN = "('received', 'in_progress')"
KEY = "zoom, tile_x, tile_y, cell_x, cell_y, category_id, status"

MERCATOR = f"""
    SELECT radians(ST_X({{0}}.location)) * {RADIUS_M} AS px,
           ln(tan(pi() / 4 + radians(ST_Y({{0}}.location)) / 2)) * {RADIUS_M} AS py
"""
# Reports without a location, or beyond the Web Mercator square (no tile shows them), are
# neither counted nor listed.
MAPPED = """{0}.location IS NOT NULL AND ST_X({0}.location) BETWEEN -180 AND 180
    AND ST_Y({0}.location) BETWEEN -85.0511287798066 AND 85.0511287798066"""

# `deltas` yields (sign, location, category_id, status): +1 for a report that enters the
# aggregate, -1 for one that leaves it. Rows are upserted in key order; the ctids of rows
# whose count fell to zero come back, to be deleted.
UPSERT = f"""
    WITH upserted AS (
        INSERT INTO tiles_reportcell AS c ({KEY}, reports, sum_x, sum_y)
        SELECT z.zoom, k.cell_x >> 5, k.cell_y >> 5, k.cell_x, k.cell_y, d.category_id,
               d.status, sum(d.sign)::integer, sum(d.sign * m.px), sum(d.sign * m.py)
        FROM ({{deltas}}) AS d
        CROSS JOIN LATERAL ({MERCATOR.format("d")}) AS m
        CROSS JOIN LATERAL (
            SELECT zoom, {WORLD_M}::float8 / (1::bigint << (zoom + 5)) AS size
            FROM generate_series({FIRST_ZOOM}, {LAST_ZOOM}) AS zoom
        ) AS z
        CROSS JOIN LATERAL (
            SELECT floor((m.px + {WORLD_HALF_M}) / z.size)::integer AS cell_x,
                   floor(({WORLD_HALF_M} - m.py) / z.size)::integer AS cell_y
        ) AS k
        WHERE {MAPPED.format("d")}
        GROUP BY z.zoom, k.cell_x, k.cell_y, d.category_id, d.status
        ORDER BY z.zoom, k.cell_x >> 5, k.cell_y >> 5, k.cell_x, k.cell_y, d.category_id,
                 d.status
        ON CONFLICT ({KEY}) DO UPDATE
        SET reports = c.reports + excluded.reports,
            sum_x = c.sum_x + excluded.sum_x,
            sum_y = c.sum_y + excluded.sum_y
        RETURNING c.ctid AS row_id, c.reports
    )
    SELECT coalesce(array_agg(row_id) FILTER (WHERE reports = 0), '{{}}') FROM upserted
"""

# The open reports (`reports` yields them), listed with their deadline and position.
LIST_OPEN = f"""
    INSERT INTO tiles_reportdeadline (report_id, due_at, category_id, status, x, y)
    SELECT r.id, r.due_at, r.category_id, r.status, m.px, m.py
    FROM ({{reports}}) AS r CROSS JOIN LATERAL ({MERCATOR.format("r")}) AS m
    WHERE r.status IN {OPEN} AND {MAPPED.format("r")}
    ORDER BY r.id;
"""
UNLIST = "DELETE FROM tiles_reportdeadline WHERE report_id IN (SELECT id FROM ({reports}) AS r);"

# Rows whose count fell to zero are deleted, so no tile may draw an empty cell. The upsert
# holds their locks, so their ctids are stable until then.
FUNCTION = f"""
CREATE FUNCTION {{name}}() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    emptied tid[];
BEGIN
    {{unlist}}
    {UPSERT} INTO emptied;
    IF cardinality(emptied) > 0 THEN
        DELETE FROM tiles_reportcell WHERE ctid = ANY(emptied) AND reports = 0;
    END IF;
    {{list}}
    RETURN NULL;
END
$body$;
"""

CHANGED = """
    SELECT {side}.* FROM old_reports AS o JOIN new_reports AS n ON n.id = o.id
    WHERE NOT (o.location IS NOT DISTINCT FROM n.location
               AND o.category_id = n.category_id AND o.status = n.status{more})
"""
# Only a change of where a report is counted moves counts; a deadline change of an open
# report only re-lists it.
MOVED_DELTAS = f"""
    SELECT s.sign, s.location, s.category_id, s.status
    FROM old_reports AS o
    JOIN new_reports AS n ON n.id = o.id
    CROSS JOIN LATERAL (
        VALUES (-1, o.location, o.category_id, o.status),
               (1, n.location, n.category_id, n.status)
    ) AS s (sign, location, category_id, status)
    WHERE NOT (o.location IS NOT DISTINCT FROM n.location
               AND o.category_id = n.category_id AND o.status = n.status)
"""
RELISTED = " AND o.due_at = n.due_at"


def _function(name: str, *, deltas: str, unlist: str = "", listed: str = "") -> str:
    return (
        FUNCTION.replace("{name}", name)
        .replace("{unlist}", UNLIST.replace("{reports}", unlist) if unlist else "")
        .replace("{list}", LIST_OPEN.replace("{reports}", listed) if listed else "")
        .replace("{deltas}", deltas)
    )


FORWARD = [
    # Room on each page for updated rows: count updates stay HOT and rows stay in tile order.
    "ALTER TABLE tiles_reportcell SET (fillfactor = 80);",
    _function(
        "tiles_reportcell_inserted",
        deltas="SELECT 1 AS sign, location, category_id, status FROM new_reports",
        listed="SELECT * FROM new_reports",
    ),
    _function(
        "tiles_reportcell_deleted",
        deltas="SELECT -1 AS sign, location, category_id, status FROM old_reports",
        unlist=f"SELECT id FROM old_reports WHERE status IN {OPEN}",
    ),
    _function(
        "tiles_reportcell_updated",
        deltas=MOVED_DELTAS,
        unlist=CHANGED.format(side="o", more=RELISTED),
        listed=CHANGED.format(side="n", more=RELISTED),
    ),
    """
    CREATE FUNCTION tiles_reportcell_truncated() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        -- A TRUNCATE that names these tables too (Django's flush empties every table in one
        -- statement) has emptied them before this runs, and PostgreSQL refuses to truncate
        -- them a second time inside that statement ("being used by active queries").
        IF EXISTS (SELECT FROM tiles_reportcell) THEN
            TRUNCATE tiles_reportcell;
        END IF;
        IF EXISTS (SELECT FROM tiles_reportdeadline) THEN
            TRUNCATE tiles_reportdeadline;
        END IF;
        RETURN NULL;
    END
    $body$;
    """,
    # No report may be written between the backfill and the triggers taking over.
    "LOCK TABLE reports_report IN SHARE ROW EXCLUSIVE MODE;",
    # The backfill: one upsert over every report, inserted in key order (tiles read their
    # rows in that order, so it also lays the table out tile by tile).
    UPSERT.replace(
        "{deltas}", "SELECT 1 AS sign, location, category_id, status FROM reports_report"
    )
    + ";",
    LIST_OPEN.replace("{reports}", "SELECT * FROM reports_report"),
    "ANALYZE tiles_reportcell;",
    "ANALYZE tiles_reportdeadline;",
    """
    CREATE TRIGGER tiles_reportcell_inserted AFTER INSERT ON reports_report
    REFERENCING NEW TABLE AS new_reports
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_inserted();
    """,
    """
    CREATE TRIGGER tiles_reportcell_deleted AFTER DELETE ON reports_report
    REFERENCING OLD TABLE AS old_reports
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_deleted();
    """,
    """
    CREATE TRIGGER tiles_reportcell_updated AFTER UPDATE ON reports_report
    REFERENCING OLD TABLE AS old_reports NEW TABLE AS new_reports
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_updated();
    """,
    """
    CREATE TRIGGER tiles_reportcell_truncated AFTER TRUNCATE ON reports_report
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_truncated();
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS tiles_reportcell_inserted ON reports_report;",
    "DROP TRIGGER IF EXISTS tiles_reportcell_deleted ON reports_report;",
    "DROP TRIGGER IF EXISTS tiles_reportcell_updated ON reports_report;",
    "DROP TRIGGER IF EXISTS tiles_reportcell_truncated ON reports_report;",
    "DROP FUNCTION IF EXISTS tiles_reportcell_inserted();",
    "DROP FUNCTION IF EXISTS tiles_reportcell_deleted();",
    "DROP FUNCTION IF EXISTS tiles_reportcell_updated();",
    "DROP FUNCTION IF EXISTS tiles_reportcell_truncated();",
]


def _unchecked_category() -> models.ForeignKey:
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        on_delete=models.deletion.DO_NOTHING,
        related_name="+",
        to="reports.category",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_open_location_index_partial"),
        ("tiles", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportCell",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "zoom",
                        "tile_x",
                        "tile_y",
                        "cell_x",
                        "cell_y",
                        "category",
                        "status",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "zoom",
                    models.PositiveSmallIntegerField(
                        help_text="Zoom of the tile whose grid this is"
                    ),
                ),
                ("tile_x", models.IntegerField(help_text="Tile column at `zoom` (cell_x // 32)")),
                ("tile_y", models.IntegerField(help_text="Tile row at `zoom` (cell_y // 32)")),
                (
                    "cell_x",
                    models.IntegerField(help_text="Cell column, from the world's west edge"),
                ),
                ("cell_y", models.IntegerField(help_text="Cell row, from the world's north edge")),
                ("status", models.CharField(max_length=16)),
                ("reports", models.IntegerField()),
                (
                    "sum_x",
                    models.FloatField(help_text="Sum of the reports' Web Mercator x, metres"),
                ),
                (
                    "sum_y",
                    models.FloatField(help_text="Sum of the reports' Web Mercator y, metres"),
                ),
                ("category", _unchecked_category()),
            ],
        ),
        migrations.CreateModel(
            name="ReportDeadline",
            fields=[
                ("report_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("due_at", models.DateTimeField(db_index=True)),
                ("status", models.CharField(max_length=16)),
                ("x", models.FloatField(help_text="Web Mercator x, metres")),
                ("y", models.FloatField(help_text="Web Mercator y, metres")),
                ("category", _unchecked_category()),
            ],
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
