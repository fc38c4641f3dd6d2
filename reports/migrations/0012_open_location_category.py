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
from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    BtreeGistExtension,
    RemoveIndexConcurrently,
)
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0011_notice"),
    ]

    operations = [
        BtreeGistExtension(),
        AddIndexConcurrently(
            model_name="report",
            index=GistIndex(
                condition=models.Q(("status__in", ["received", "in_progress"])),
                fields=["location", "category"],
                name="report_open_location_category",
            ),
        ),
        RemoveIndexConcurrently(model_name="report", name="report_open_location"),
    ]
