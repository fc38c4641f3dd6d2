"""Make `report_open_location` the partial index the model declares.

Django's PostGIS schema editor builds an index on a single geometry field through its own
spatial-index path, which drops the index's `condition` (Django 5.2): 0006 therefore created a
second full GiST index over every report's location instead of one over open reports only.
A duplicate full index doubles the index work of every new report and competes with
`reports_report_location_*` in the planner; the partial one keeps the duplicate check and
the open-report queries on the ~7 % of rows they read. The model state is unchanged.
"""

from django.db import migrations

_PARTIAL = (
    "CREATE INDEX report_open_location ON reports_report USING gist (location) "
    "WHERE status IN ('received', 'in_progress')"
)
_FULL = "CREATE INDEX report_open_location ON reports_report USING gist (location)"
_DROP = "DROP INDEX IF EXISTS report_open_location"


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_open_location_index")]

    operations = [
        migrations.RunSQL(sql=[_DROP, _PARTIAL], reverse_sql=[_DROP, _FULL]),
    ]
