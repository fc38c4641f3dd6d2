"""The reports table's indexes: every one is written by each filing and each re-route, so
none may repeat what another already serves."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# For each plain btree index of reports_report (no predicate): its name, its key columns in
# order and whether it is unique.
_BTREE_INDEXES = """
    SELECT c.relname,
           ARRAY(SELECT a.attname
                 FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n),
           i.indisunique
    FROM pg_index AS i
    JOIN pg_class AS c ON c.oid = i.indexrelid
    JOIN pg_am AS am ON am.oid = c.relam
    WHERE i.indrelid = 'reports_report'::regclass AND am.amname = 'btree'
      AND i.indpred IS NULL
"""


def test_no_single_column_index_repeats_the_leading_column_of_another():
    with connection.cursor() as cursor:
        cursor.execute(_BTREE_INDEXES)
        indexes = cursor.fetchall()
    leading = {}
    for name, columns, _ in indexes:
        if len(columns) > 1:
            leading.setdefault(columns[0], []).append(name)
    redundant = [
        (name, leading[columns[0]])
        for name, columns, unique in indexes
        if len(columns) == 1 and not unique and columns[0] in leading
    ]
    assert redundant == []
    assert {"category_id", "area_id", "agency_id", "created_at"} <= set(leading)
