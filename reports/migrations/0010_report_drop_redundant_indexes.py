"""Drop the single-column indexes on reports_report that repeat the leading column of a
composite one: category (category, created_at), area (area, status), agency (agency,
status) and created_at (report_list_order). The composites serve the same lookups and the
foreign keys' checks; each dropped index was one more write per filing and per re-route.

The state changes are Django's AlterFields; in the database only the indexes go (Django's
own operations would also drop and re-add the foreign keys, re-validating every row under
an exclusive lock).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

_DROPPED = {
    "reports_report_agency_id_fe64f2a4": "agency_id",
    "reports_report_area_id_a0e5c4fc": "area_id",
    "reports_report_category_id_7a7857a8": "category_id",
    "reports_report_created_at_4f9096d5": "created_at",
}


class Migration(migrations.Migration):
    dependencies = [
        ("boundaries", "0001_initial"),
        ("reports", "0009_tile_points_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON reports_report ({column})',
                )
                for name, column in _DROPPED.items()
            ],
            state_operations=[
                *(
                    migrations.AlterField(
                        model_name="report",
                        name=name,
                        field=models.ForeignKey(
                            db_index=False,
                            on_delete=django.db.models.deletion.PROTECT,
                            related_name="reports",
                            to=to,
                            **({"blank": True, "null": True} if optional else {}),
                        ),
                    )
                    for name, to, optional in (
                        ("agency", "reports.agency", True),
                        ("area", "boundaries.area", True),
                        ("category", "reports.category", False),
                    )
                ),
                migrations.AlterField(
                    model_name="report",
                    name="created_at",
                    field=models.DateTimeField(default=django.utils.timezone.now),
                ),
            ],
        ),
    ]
