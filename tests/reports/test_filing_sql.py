"""The filing statement's INSERTs follow the models' fields (no database needed)."""

import re

from django.db import models

from reports import filing
from reports.models import IdempotencyKey, Report, ReportEvent


def test_a_field_only_the_database_fills_takes_default_and_no_parameter():
    assert filing._database_default(models.IntegerField(db_default=0))
    assert not filing._database_default(models.IntegerField(default=0, db_default=0))
    assert not filing._database_default(models.IntegerField())


def test_every_column_of_each_insert_has_one_value():
    for model, refers in ((Report, None), (ReportEvent, "report"), (IdempotencyKey, "report")):
        sql = filing._insert(model, refers=refers)
        columns, values = re.match(r"INSERT INTO \w+ \((.*)\) VALUES \((.*)\)$", sql).groups()
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        assert columns.split(", ") == [f'"{f.column}"' for f in fields]
        assert len(re.findall(r"%s|DEFAULT|\(SELECT id FROM new_report\)", values)) == len(fields)
        assert values.count("new_report") == (1 if refers else 0)


def test_the_duplicate_sql_sees_what_the_public_sees():
    """DUPLICATES_SQL (run by every filing, inside its statement) writes out its filters by
    hand; it has no rule of `Report.objects.public()` because that has none yet. A rule
    added there must be added to DUPLICATES_SQL too: this fails until it is."""
    assert not Report.objects.public().query.where, "add the public rule to DUPLICATES_SQL"


def test_every_statement_of_a_filing_stays_one_that_psycopg_parses_once():
    """psycopg caches how it parsed a statement only up to MAX_CACHED_STATEMENT_LENGTH bytes
    and MAX_CACHED_STATEMENT_PARAMS parameters; past either it parses it again on every
    execution, in Python, on every filing. The filing statement is near the parameter
    limit (a parameter per column): a new column that crosses it fails here, not silently."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    from accounts.authentication import _statement
    from reports import routing

    statements = [routing._ROUTE_SQL, _statement()[0]]
    statements += [
        filing.statement(with_key=with_key, also=also)
        for with_key in (False, True)
        for also in (False, True)
    ]
    for sql in statements:
        parameters = sql.count("%s") + len(set(re.findall(r"%\((\w+)\)s", sql)))
        assert 0 < parameters <= MAX_CACHED_STATEMENT_PARAMS, sql[:80]
        assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH, sql[:80]
