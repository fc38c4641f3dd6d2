"""create_agencies: one People's Committee per ward, idempotently."""

import pytest
from django.core.management import CommandError, call_command

from reports.models import Agency
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square

pytestmark = pytest.mark.django_db


def test_create_agencies_makes_one_ubnd_per_ward_and_is_idempotent(capsys):
    generation = GenerationFactory(name="g1", active=True)
    ward = LevelFactory(code="ward", rank=2)
    ba_dinh = AreaFactory(
        code="00004",
        name="Phường Ba Đình",
        level=ward,
        generation_low=generation,
        geom=square(105.80, 21.00),
    )
    AreaFactory(
        code="00008",
        name="Phường Ngọc Hà",
        level=ward,
        generation_low=generation,
        geom=square(105.81, 21.00),
    )
    call_command("create_agencies", "--level", "ward")
    assert "2 created, 0 already present" in capsys.readouterr().out
    call_command("create_agencies", "--level", "ward")
    assert "0 created, 2 already present" in capsys.readouterr().out
    agency = Agency.objects.get(code="ubnd-ward-00004")
    assert agency.name == "UBND Phường Ba Đình"
    assert list(agency.areas.all()) == [ba_dinh]
    assert Agency.objects.count() == 2


def test_create_agencies_names_an_unknown_level():
    GenerationFactory(active=True)
    with pytest.raises(CommandError, match="unknown level 'tinh'"):
        call_command("create_agencies", "--level", "tinh")


def test_create_agencies_needs_an_active_generation():
    LevelFactory(code="ward", rank=2)
    with pytest.raises(CommandError, match="no generation is active"):
        call_command("create_agencies", "--level", "ward")
