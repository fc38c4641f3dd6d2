"""Key the open reports' location index on the category too (report_open_location_category).

Every filing's duplicate check (reports.selectors.DUPLICATES_SQL) asks for the open reports
of one category within 250 m. Keyed on the location alone, the index returned every open
report in the box, of all categories, and PostgreSQL visited the table for each to read its
category: about 500 heap pages for a point in the old quarter at a million reports, most of
the check's time. Keyed on the category as well, the index returns only the category's.
A GiST index keys an integer through btree_gist, which ships with PostgreSQL (contrib) and
is a trusted extension: the database's owner may create it; scripts/setup.sh also puts it
in template1 beside PostGIS.

Built and dropped CONCURRENTLY (so the migration runs outside a transaction): new reports
keep being filed while a city's table is indexed, and the old index serves until the new
one is valid.
"""

from django.contrib.postgres.indexes import GistIndex
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

_OLD = "report_open_location"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0011_notice"),
    ]

    operations = [
        # Kept on reversal: other indexes may use it, and where setup.sh made it, its owner
        # is the superuser (Django's BtreeGistExtension would try to drop it).
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS btree_gist", reverse_sql=migrations.RunSQL.noop
        ),
        AddIndexConcurrently(
            model_name="report",
            index=GistIndex(
                condition=models.Q(("status__in", ["received", "in_progress"])),
                fields=["location", "category"],
                name="report_open_location_category",
            ),
        ),
        # Django would rebuild the old index, on reversal, through the PostGIS schema
        # editor's spatial path, which drops its condition (see 0007): written out instead.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveIndex(model_name="report", name=_OLD)],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {_OLD}",
                    reverse_sql=(
                        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_OLD} ON reports_report "
                        "USING gist (location) WHERE status IN ('received', 'in_progress')"
                    ),
                )
            ],
        ),
    ]
