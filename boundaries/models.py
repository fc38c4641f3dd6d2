"""Administrative areas, grouped into boundary generations.

A *generation* is one published boundary set (e.g. Hanoi's 126 wards from 1 July 2025). An
area records the first and last generation it belongs to, so a re-import that leaves a ward
unchanged extends its range instead of copying it, and a report filed under an old generation
keeps pointing at the area it was routed to. Generations are ordered by id: a newer
generation always has a larger id.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import F, Q

from geo.crs import WGS84


class Level(models.Model):
    """One tier of the administrative hierarchy, configurable per deployment.

    `rank` orders the tiers from the top (0, e.g. the city) down; the ward is the highest rank.
    Routing answers the highest-ranked (lowest-level) area first.
    """

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name_en or self.name


class GenerationQuerySet(models.QuerySet):
    def current(self) -> Generation | None:
        """The one active generation, or None before any boundaries are activated."""
        return self.filter(active=True).first()


class Generation(models.Model):
    """A named boundary set. Exactly one is active; new ones are staged inactive first."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=False)
    effective_from = models.DateField(
        null=True, blank=True, help_text="The day the boundaries took legal effect."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_generation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AreaQuerySet(models.QuerySet):
    def in_generation(self, generation: Generation) -> AreaQuerySet:
        """Areas that belong to `generation` (their generation range includes it)."""
        return self.filter(
            generation_low_id__lte=generation.id, generation_high_id__gte=generation.id
        )

    def current(self) -> AreaQuerySet:
        """Areas of the active generation; empty when none is active."""
        generation = Generation.objects.current()
        return self.in_generation(generation) if generation else self.none()


class Area(models.Model):
    """A ward, commune, district or city: one polygon set valid over a range of generations."""

    code = models.CharField(max_length=32, db_index=True, help_text="Official code")
    name = models.CharField(max_length=200, help_text="Vietnamese name")
    name_en = models.CharField(max_length=200, blank=True, help_text="ASCII or English name")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="areas")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    generation_low = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="areas_starting"
    )
    generation_high = models.ForeignKey(
        Generation, on_delete=models.PROTECT, related_name="areas_ending"
    )
    geom = models.MultiPolygonField(srid=WGS84)
    area_m2 = models.FloatField(help_text="Area in square metres, measured in UTM 48N")
    population = models.PositiveIntegerField(null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["level__rank", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(generation_low__lte=F("generation_high")),
                name="area_generation_range_ordered",
            )
        ]
        indexes = [models.Index(fields=["generation_low", "generation_high"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AreaPiece(models.Model):
    """An area's polygon cut into small pieces with ST_Subdivide, for fast point lookup.

    A GiST index over a 20,000-vertex ward answers "which bounding boxes hold this point" with
    huge boxes and then runs point-in-polygon on every vertex; pieces of at most a few hundred
    vertices have tight boxes and cheap tests. Rebuilt by `services.area_pieces_rebuild`
    whenever an area's geometry is written.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="pieces")
    geom = models.PolygonField(srid=WGS84)

    def __str__(self) -> str:
        return f"piece of {self.area_id}"
