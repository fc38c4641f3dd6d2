"""Factories for levels, generations and areas (with their subdivided pieces)."""

import factory
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

from boundaries import services
from boundaries.models import Area, Generation, Level
from geo.crs import WGS84


def square(lon: float, lat: float, size: float = 0.01) -> MultiPolygon:
    """A square MultiPolygon with its south-west corner at (lon, lat), `size` degrees wide."""
    wkt = (
        f"MULTIPOLYGON((({lon} {lat}, {lon + size} {lat}, {lon + size} {lat + size}, "
        f"{lon} {lat + size}, {lon} {lat})))"
    )
    return GEOSGeometry(wkt, srid=WGS84)


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level
        django_get_or_create = ("code",)

    code = "ward"
    name = "Phường/Xã"
    name_en = "Ward/Commune"
    rank = 2


class GenerationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Generation

    name = factory.Sequence(lambda n: f"gen-{n}")
    active = False


class AreaFactory(factory.django.DjangoModelFactory):
    """An area valid in one generation; its pieces are built like an import builds them."""

    class Meta:
        model = Area
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"{10000 + n}")
    name = factory.Sequence(lambda n: f"Phường {n}")
    name_en = factory.Sequence(lambda n: f"Phuong {n}")
    level = factory.SubFactory(LevelFactory)
    generation_low = factory.SubFactory(GenerationFactory, active=True)
    generation_high = factory.SelfAttribute("generation_low")
    geom = factory.LazyFunction(lambda: square(105.80, 21.00))
    area_m2 = factory.LazyAttribute(lambda o: services.measure_area_m2(o.geom))

    @factory.post_generation
    def pieces(obj, create, extracted, **kwargs):
        if create:
            services.area_pieces_rebuild(area_ids=[obj.pk])
