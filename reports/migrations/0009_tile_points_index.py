"""A GiST index that covers what map tiles read from reports (see Report.Meta.indexes).

Built with CREATE INDEX CONCURRENTLY, so a city's live reports table keeps taking reports
while it is built (about 3 s per million reports here), and in SQL: Django's PostGIS schema
editor builds an index on one geometry field through its own path, which drops `condition`
and `include` (see 0007). The model state is the GistIndex the model declares.
"""

import django.contrib.postgres.indexes
from django.db import migrations, models

_CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS report_tile_points ON reports_report "
    "USING gist (location) INCLUDE "
    "(location, tracking_code, status, category_id, created_at, due_at, agency_id) "
    "WHERE location IS NOT NULL"
)
_DROP = "DROP INDEX CONCURRENTLY IF EXISTS report_tile_points"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("reports", "0008_list_order_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(sql=_CREATE, reverse_sql=_DROP)],
            state_operations=[
                migrations.AddIndex(
                    model_name="report",
                    index=django.contrib.postgres.indexes.GistIndex(
                        condition=models.Q(("location__isnull", False)),
                        fields=["location"],
                        include=(
                            "location",
                            "tracking_code",
                            "status",
                            "category",
                            "created_at",
                            "due_at",
                            "agency",
                        ),
                        name="report_tile_points",
                    ),
                )
            ],
        ),
    ]
