"""Output serializers of the boundaries API (input is parsed in `filters`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from boundaries import selectors
from boundaries.models import Area


class LookupAreaSerializer(serializers.Serializer):
    """One area of a lookup answer; `generation` is the generation that was asked."""

    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    level = serializers.CharField(source="level.code")
    generation = serializers.SerializerMethodField()

    def get_generation(self, area: Area) -> str:
        return self.context["generation"].name


class LookupSerializer(serializers.Serializer):
    """Which areas contain a point, lowest level first."""

    areas = LookupAreaSerializer(many=True)
    snapped = serializers.BooleanField(
        help_text="The point lies outside every area but within the edge tolerance."
    )
    distance_m = serializers.FloatField(help_text="Metres to the snapped area; 0 when inside.")
    on_boundary = serializers.BooleanField(help_text="The point lies on a shared edge.")


class AreaSummarySerializer(serializers.ModelSerializer):
    """Code, names and level of a related area (parent or child)."""

    level = serializers.CharField(source="level.code")

    class Meta:
        model = Area
        fields = ["code", "name", "name_en", "level"]


class AreaFeatureSerializer(GeoFeatureModelSerializer):
    """One area as a GeoJSON Feature, with its parent and children in the same generation."""

    level = serializers.CharField(source="level.code")
    generation = serializers.SerializerMethodField()
    parent = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta:
        model = Area
        geo_field = "geom"
        id_field = False
        fields = [
            "code",
            "name",
            "name_en",
            "level",
            "generation",
            "area_m2",
            "population",
            "parent",
            "children",
        ]

    def get_generation(self, area: Area) -> str:
        return self.context["generation"].name

    @extend_schema_field(AreaSummarySerializer(allow_null=True))
    def get_parent(self, area: Area) -> dict | None:
        parent = selectors.area_parent(area=area, generation=self.context["generation"])
        return AreaSummarySerializer(parent).data if parent else None

    @extend_schema_field(AreaSummarySerializer(many=True))
    def get_children(self, area: Area) -> list[dict]:
        children = selectors.area_children(area=area, generation=self.context["generation"])
        return AreaSummarySerializer(children, many=True).data
