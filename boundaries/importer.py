"""Import administrative boundaries from any file GDAL reads, into one generation and level.

The work is split in two so a dry run and a commit share every check:

1. *Plan*: read the file (pyogrio), reproject to WGS 84 with the datum transformation PROJ
   publishes for Hanoi (VN-2000 is a few hundred metres off WGS 84), repair invalid polygons
   with `make_valid`, force MultiPolygon, measure areas in UTM 48N, resolve parents, and compare
   every feature with the areas already stored. Nothing is written.
2. *Commit*: write the plan in one transaction, in batches, and rebuild the subdivided pieces
   of every area whose geometry was written.

Generation semantics (see `ImportPlan`):
- Importing into a generation name that does not exist creates it, staged inactive. When no
  generation is active at all (a fresh deployment) it is activated, so a new city answers
  lookups at once; otherwise it stays staged until `activate_generation` (or `--activate`).
- An area whose code, names, population, parent code and geometry (within ~1 cm) equal those of
  the previous generation is *carried over*: its `generation_high` is extended, so reports
  routed to it keep a valid link. The previous generation is the latest earlier generation
  that has areas of the level. If a generation without that level lies in between (say a
  two-tier generation without districts), extending the range would make the area appear in
  it, so an unchanged area is copied into a new row instead.
- Importing a level again into the same (newest) generation is a re-import: identical areas are
  left alone, changed ones are updated (or split off if older generations share the row), and
  areas missing from the file leave the generation.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyogrio
import pyogrio.errors
import shapely
import shapely.errors
from django.contrib.gis.db.models.functions import AsWKB
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError
from pyproj import CRS
from pyproj.exceptions import CRSError

from boundaries import services
from boundaries.models import Area, Generation, Level
from boundaries.signals import areas_imported
from geo import crs as geo_crs

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

# Rows per INSERT/UPDATE batch, and how often progress is reported while preparing features.
BATCH_SIZE = 500
# Two geometries closer than this (degrees, about 1 cm at Hanoi) are the same boundary: it
# absorbs the float noise of a round trip through another CRS or file format.
GEOMETRY_TOLERANCE_DEG = 1e-7
# Overlaps and gaps smaller than this are digitising noise along shared edges, not findings.
SLIVER_M2 = 1.0
# How many overlaps the plan lists by name; the count covers them all.
OVERLAPS_LISTED = 10

# Error messages, imported by tests.
FILE_NOT_FOUND = "file not found: {path}"
FILE_UNREADABLE = "cannot read {path}: {reason}"
FILE_EMPTY = "{path} has no features"
LAYER_UNKNOWN = "{path} has no layer {layer!r}; layers: {layers}"
ENCODING_UNKNOWN = "unknown text encoding {encoding!r}"
FIELD_MISSING = "field {field!r} (given by {option}) is not in {path}; fields: {available}"
GEOMETRY_MISSING = "feature {index} (code {code!r}) has no geometry"
GEOMETRY_NOT_POLYGON = (
    "feature {index} (code {code!r}) is a {geom_type}; boundaries must be polygons or multipolygons"
)
GEOMETRY_COLLAPSED = "feature {index} (code {code!r}) has no area left after repair"
CRS_MISSING = (
    "{path} declares no coordinate reference system; pass --source-srid "
    "(e.g. 4326 for WGS 84 degrees, 5897 for VN-2000 Hanoi TM-3 metres)"
)
CRS_UNKNOWN = "unknown coordinate reference system {crs}"
CRS_CONFLICT = "{path} declares {declared} but --source-srid {srid} was given"
CRS_NO_DATUM_SHIFT = (
    "PROJ has no datum transformation from {crs} to WGS 84 (only a ballpark one, which "
    "misplaces boundaries by up to hundreds of metres); reproject the file first"
)
COORDINATES_OUT_OF_RANGE = (
    "coordinates of feature {index} (code {code!r}) fall outside the globe after reprojection "
    "from {crs}; is that the file's real coordinate reference system?"
)
CODE_DUPLICATE = "code {code!r} appears in {count} features ({indexes}); codes must be unique"
VALUE_INVALID = "feature {index} (code {code!r}): {field} {problem}"
POPULATION_INVALID = "is not a whole non-negative number: {value!r}"
LEVEL_UNKNOWN = (
    "unknown level {level!r}; known levels: {known}. Create it in the admin, or pass "
    "--level-rank (and --level-name) to create it with this import"
)
PARENT_LEVEL_UNKNOWN = "unknown parent level {level!r}; known levels: {known}"
LEVEL_RANK_TAKEN = "level rank {rank} is already used by level {other!r}"
GENERATION_NAME_INVALID = (
    "generation name {name!r} must be a slug of at most 64 letters, digits, - or _"
)
GENERATION_NOT_NEWEST = (
    "generation {name!r} is not the newest generation ({newest!r} is); import into the "
    "newest generation or a new one, so generation ranges stay consistent"
)
PARENT_LEVEL_NOT_ABOVE = "parent level {parent!r} is not above level {level!r}"
PARENT_LEVEL_EMPTY = (
    "generation {generation!r} has no areas of level {parent!r} to take parents from; "
    "import that level into it first"
)
PARENT_CODE_UNKNOWN = (
    "feature {index} (code {code!r}): parent code {parent!r} is not an area above level "
    "{level!r} in generation {generation!r}"
)
AREA_IN_USE = (
    "area {code!r} is absent from the file but cannot leave generation {generation!r}: "
    "other records still point at it ({reason})"
)


class BoundaryImportError(Exception):
    """Base of every import problem; its message names the problem and nothing is written."""


class SourceError(BoundaryImportError):
    """The file cannot be read as boundaries: missing, empty, unreadable, missing a field."""


class CRSProblem(SourceError):
    """The file's coordinate reference system is absent, unknown or cannot be transformed."""


class FeatureProblem(BoundaryImportError):
    """A feature is unusable: non-polygon geometry, duplicate code, invalid value."""


class TargetProblem(BoundaryImportError):
    """The level, generation or parents named for the import do not fit the database."""


@dataclass(frozen=True)
class ImportOptions:
    """What to import and where; mirrors the `import_boundaries` command's options."""

    level: str
    generation: str
    code_field: str = "code"
    name_field: str = "name"
    name_en_field: str | None = None
    parent_field: str | None = None
    parent_level: str | None = None
    population_field: str | None = None
    source_srid: int | None = None
    layer: str | None = None
    encoding: str | None = None
    activate: bool = False
    level_rank: int | None = None
    level_name: str | None = None
    level_name_en: str | None = None


@dataclass
class IncomingArea:
    """One feature of the file, cleaned and measured, ready to compare and write."""

    index: int
    code: str
    name: str
    name_en: str
    population: int | None
    parent_code: str | None
    geom: shapely.MultiPolygon  # WGS 84
    area_m2: float
    parent_id: int | None = None


@dataclass(frozen=True)
class StoredArea:
    """An area already in the database, as much of it as comparison needs."""

    id: int
    code: str
    name: str
    name_en: str
    population: int | None
    parent_id: int | None
    parent_code: str | None
    generation_low_id: int
    generation_high_id: int
    geom: shapely.Geometry


@dataclass
class ImportPlan:
    """What an import found and will do (dry run), or did (after commit).

    `baseline` is the generation the file is compared with: the target itself for a re-import,
    otherwise the latest earlier generation with areas of the level (None for the first one).
    """

    source: str
    options: ImportOptions
    features: int = 0
    without_code: int = 0
    repaired: int = 0
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)
    overlap_count: int = 0
    gaps: list[float] = field(default_factory=list)
    level: Level | None = None
    generation: Generation | None = None
    generation_is_new: bool = False
    will_activate: bool = False
    baseline: Generation | None = None
    reimport: bool = False
    new: list[IncomingArea] = field(default_factory=list)
    changed: list[tuple[IncomingArea, StoredArea]] = field(default_factory=list)
    unchanged: list[tuple[IncomingArea, StoredArea]] = field(default_factory=list)
    removed: list[StoredArea] = field(default_factory=list)
    without_parent: int = 0
    committed: bool = False
    carried_over: int = 0
    copied: int = 0
    pieces: int = 0

    def summary_lines(self) -> list[str]:
        """The plan as lines for a person: counts first, then findings worth a look."""
        generation = self.options.generation
        state = "new, " if self.generation_is_new else ""
        state += "will be activated" if self.will_activate else "staged"
        if self.generation is not None and self.generation.active:
            state = "current"
        baseline = self.baseline.name if self.baseline else "none"
        lines = [
            f"source: {self.source} ({self.features} features)",
            f"level {self.options.level!r} into generation {generation!r} ({state}); "
            f"compared with: {baseline}{' (re-import)' if self.reimport else ''}",
            f"new: {len(self.new)}",
            f"changed: {len(self.changed)}",
            f"unchanged: {len(self.unchanged)}",
            f"{'removed' if self.reimport else 'not carried over'}: {len(self.removed)}",
            f"invalid geometries repaired: {self.repaired}",
            f"overlaps above {SLIVER_M2:g} m² between neighbours: {self.overlap_count}",
            f"gaps above {SLIVER_M2:g} m²: {len(self.gaps)}",
            f"features without a code (skipped): {self.without_code}",
        ]
        if self.options.parent_field or self.options.parent_level:
            lines.append(f"areas without a parent: {self.without_parent}")
        lines += [
            f"  overlap {a} / {b}: {m2:,.0f} m²" for a, b, m2 in self.overlaps[:OVERLAPS_LISTED]
        ]
        lines += [f"  gap of {m2:,.0f} m²" for m2 in sorted(self.gaps, reverse=True)[:10]]
        if self.committed:
            lines.append(
                f"committed: {len(self.new) + len(self.changed)} areas written, "
                f"{self.carried_over} carried over, {self.copied} copied, "
                f"{self.pieces} lookup pieces rebuilt"
            )
            if self.will_activate:
                lines.append(f"generation {generation!r} is now the current generation")
        else:
            lines.append("dry run: nothing was written; pass --commit to write")
        return lines


def boundaries_import(
    *,
    path: str | Path,
    options: ImportOptions,
    commit: bool = False,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan the import of `path` and, with `commit`, write it in one transaction."""
    frame = frame_read(path=path, layer=options.layer, encoding=options.encoding, progress=progress)
    return boundaries_import_frame(
        frame=frame, source=str(path), options=options, commit=commit, progress=progress
    )


def boundaries_import_frame(
    *,
    frame: GeoDataFrame,
    source: str,
    options: ImportOptions,
    commit: bool = False,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan (and with `commit` write) the import of a GeoDataFrame already in memory.

    Planning and writing share one transaction that locks the generation table, so nothing
    can change between what the plan saw and what the commit writes, and a failure at any
    point leaves the database as it was.
    """
    say = progress or (lambda message: None)
    plan = ImportPlan(source=source, options=options)
    incoming = _features_prepare(frame, options, plan, source, say)
    with transaction.atomic():
        list(Generation.objects.select_for_update().order_by("id"))
        _target_resolve(plan, options)
        _parents_resolve(plan, incoming, options)
        _compare(plan, incoming)
        if commit:
            _commit(plan, say)
    return plan


def frame_read(
    *,
    path: str | Path,
    layer: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> GeoDataFrame:
    """Read a local vector file (GeoJSON, Shapefile or zipped Shapefile, GeoPackage, KML...).

    Only local files are read: the path never reaches GDAL's network or archive handlers other
    than for a local .zip.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(FILE_NOT_FOUND.format(path=path))
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise SourceError(ENCODING_UNKNOWN.format(encoding=encoding)) from exc
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is not None and layer not in layers:
            raise SourceError(
                LAYER_UNKNOWN.format(path=path, layer=layer, layers=", ".join(layers))
            )
        if layer is None and len(layers) > 1 and progress:
            progress(f"{path} has layers {', '.join(layers)}; reading {layers[0]} (see --layer)")
        frame = pyogrio.read_dataframe(
            path, layer=layer or (layers[0] if layers else None), encoding=encoding
        )
    except pyogrio.errors.CRSError as exc:
        raise CRSProblem(CRS_UNKNOWN.format(crs=exc)) from exc
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        shapely.errors.GEOSException,
    ) as exc:
        raise SourceError(FILE_UNREADABLE.format(path=path, reason=exc)) from exc
    if len(frame) == 0:
        raise SourceError(FILE_EMPTY.format(path=path))
    if progress:
        progress(f"read {len(frame)} features from {path}")
    return frame


def ascii_name(name: str) -> str:
    """Vietnamese name without diacritics ("Phường Đống Đa" -> "Phuong Dong Da").

    NFKD splits most letters from their marks; đ/Đ are letters of their own and need mapping.
    """
    decomposed = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- reading and cleaning -------------------------------------------------------------------


def _features_prepare(
    frame: GeoDataFrame, options: ImportOptions, plan: ImportPlan, source: str, say: Progress
) -> list[IncomingArea]:
    if len(frame) == 0:
        raise SourceError(FILE_EMPTY.format(path=source))
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for option, name in (
        ("--code-field", options.code_field),
        ("--name-field", options.name_field),
        ("--name-en-field", options.name_en_field),
        ("--parent-field", options.parent_field),
        ("--population-field", options.population_field),
    ):
        if name is not None and name not in columns:
            raise SourceError(
                FIELD_MISSING.format(
                    field=name, option=option, path=source, available=", ".join(columns)
                )
            )
    plan.features = len(frame)
    codes = [_text(value) for value in frame[options.code_field]]
    keep = [i for i, code in enumerate(codes) if code]
    # Features are numbered from 1 in messages, in file order, as a person counts them.
    numbers = [i + 1 for i in keep]
    plan.without_code = len(codes) - len(keep)
    _codes_check_unique([codes[i] for i in keep], numbers)

    geoms = np.asarray(frame.geometry.array, dtype=object)
    source_crs = _source_crs(frame.crs, options.source_srid, source)
    wgs84 = _to_wgs84(geoms[keep], source_crs, [codes[i] for i in keep], numbers)
    valid = shapely.is_valid(wgs84)
    plan.repaired = int((~valid).sum())
    areas: list[IncomingArea] = []
    for position, index in enumerate(keep):
        code = codes[index]
        geom = wgs84[position] if valid[position] else shapely.make_valid(wgs84[position])
        multi = _multipolygon(geom, index + 1, code)
        areas.append(
            IncomingArea(
                index=index + 1,
                code=code,
                name=_text(frame[options.name_field].iloc[index]),
                name_en=(
                    _text(frame[options.name_en_field].iloc[index])
                    if options.name_en_field
                    else ascii_name(_text(frame[options.name_field].iloc[index]))
                ),
                population=_population(frame, options.population_field, index, code),
                parent_code=(
                    _text(frame[options.parent_field].iloc[index]) or None
                    if options.parent_field
                    else None
                ),
                geom=multi,
                area_m2=0.0,
            )
        )
        _lengths_check(areas[-1])
        if (position + 1) % BATCH_SIZE == 0:
            say(f"prepared {position + 1}/{len(keep)} features")
    metric = _to_metric([a.geom for a in areas])
    for area, m2 in zip(areas, shapely.area(metric), strict=True):
        area.area_m2 = float(m2)
    _neighbours_check(plan, areas, metric)
    return areas


def _text(value: Any) -> str:
    """A field value as clean text; integral floats (shapefile codes) lose their ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _lengths_check(area: IncomingArea) -> None:
    """Refuse values the columns cannot hold, in the dry run already, naming the feature."""
    for name in ("code", "name", "name_en"):
        limit = Area._meta.get_field(name).max_length
        value = getattr(area, name)
        if len(value) > limit:
            raise FeatureProblem(
                VALUE_INVALID.format(
                    index=area.index,
                    code=area.code[:40],
                    field=name,
                    problem=f"is {len(value)} characters long; at most {limit} fit",
                )
            )
    if not area.name:
        raise FeatureProblem(
            VALUE_INVALID.format(index=area.index, code=area.code, field="name", problem="is empty")
        )


def _population(frame: Any, field_name: str | None, index: int, code: str) -> int | None:
    if field_name is None:
        return None
    raw = frame[field_name].iloc[index]
    text = _text(raw)
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise FeatureProblem(
            VALUE_INVALID.format(
                index=index + 1,
                code=code,
                field=field_name,
                problem=POPULATION_INVALID.format(value=text),
            )
        )
    return int(text)


def _codes_check_unique(codes: Sequence[str], indexes: Sequence[int]) -> None:
    counts = Counter(codes)
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        code = duplicates[0]
        where = [str(i) for c, i in zip(codes, indexes, strict=True) if c == code]
        raise FeatureProblem(
            CODE_DUPLICATE.format(code=code, count=counts[code], indexes=", ".join(where))
        )


def _source_crs(declared: CRS | None, source_srid: int | None, source: str) -> CRS:
    if source_srid is not None:
        try:
            given = geo_crs.crs_from_srid(source_srid)
        except geo_crs.UnknownCRSError as exc:
            raise CRSProblem(CRS_UNKNOWN.format(crs=f"EPSG:{source_srid}")) from exc
        if declared is not None and not given.equals(declared, ignore_axis_order=True):
            raise CRSProblem(
                CRS_CONFLICT.format(path=source, declared=_crs_label(declared), srid=source_srid)
            )
        return given
    if declared is None:
        raise CRSProblem(CRS_MISSING.format(path=source))
    try:
        return CRS.from_user_input(declared)
    except CRSError as exc:
        raise CRSProblem(CRS_UNKNOWN.format(crs=declared)) from exc


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else (crs.name or "an unnamed CRS")


def _to_wgs84(
    geoms: np.ndarray, source: CRS, codes: Sequence[str], indexes: Sequence[int]
) -> np.ndarray:
    """Geometries in 2D WGS 84 lon/lat, through PROJ's real datum transformation for Hanoi."""
    for position, geom in enumerate(geoms):
        if geom is None or shapely.is_empty(geom):
            raise FeatureProblem(
                GEOMETRY_MISSING.format(index=indexes[position], code=codes[position])
            )
        if shapely.get_type_id(geom) not in _POLYGONAL_TYPES and not _is_polygonal_collection(geom):
            raise FeatureProblem(
                GEOMETRY_NOT_POLYGON.format(
                    index=indexes[position], code=codes[position], geom_type=geom.geom_type
                )
            )
    flat = shapely.force_2d(geoms)
    epsg = source.to_epsg()
    try:
        operation = (
            geo_crs.transformer(epsg, geo_crs.WGS84)
            if epsg is not None
            else geo_crs.transformer_for_crs(source, geo_crs.WGS84)
        )
    except (geo_crs.UnknownCRSError, CRSError) as exc:
        raise CRSProblem(CRS_UNKNOWN.format(crs=_crs_label(source))) from exc
    if epsg != geo_crs.WGS84:
        if geo_crs.transformer_is_ballpark(operation):
            raise CRSProblem(CRS_NO_DATUM_SHIFT.format(crs=_crs_label(source)))
        flat = geo_crs.shapes_transform(flat, operation)
    bounds = shapely.bounds(flat)
    bad = ~(
        np.isfinite(bounds).all(axis=1)
        & (bounds[:, 0] >= -180)
        & (bounds[:, 2] <= 180)
        & (bounds[:, 1] >= -90)
        & (bounds[:, 3] <= 90)
    )
    if bad.any():
        position = int(np.argmax(bad))
        raise CRSProblem(
            COORDINATES_OUT_OF_RANGE.format(
                index=indexes[position], code=codes[position], crs=_crs_label(source)
            )
        )
    return flat


_POLYGONAL_TYPES = {3, 6}  # shapely type ids of Polygon and MultiPolygon


def _is_polygonal_collection(geom: shapely.Geometry) -> bool:
    return geom.geom_type == "GeometryCollection" and all(
        shapely.get_type_id(part) in _POLYGONAL_TYPES for part in geom.geoms
    )


def _to_metric(geoms: Sequence[shapely.Geometry]) -> np.ndarray:
    operation = geo_crs.transformer(geo_crs.WGS84, geo_crs.METRIC)
    return geo_crs.shapes_transform(np.asarray(geoms, dtype=object), operation)


def _multipolygon(geom: shapely.Geometry, index: int, code: str) -> shapely.MultiPolygon:
    """Only the polygonal parts, as one MultiPolygon (repair can leave stray lines behind)."""
    polygons: list[shapely.Polygon] = []
    stack = [geom]
    while stack:
        part = stack.pop()
        if isinstance(part, shapely.Polygon):
            if not part.is_empty:
                polygons.append(part)
        elif hasattr(part, "geoms"):
            stack.extend(part.geoms)
    if not polygons:
        raise FeatureProblem(GEOMETRY_COLLAPSED.format(index=index, code=code))
    polygons.reverse()
    return shapely.MultiPolygon(polygons)


def _neighbours_check(plan: ImportPlan, areas: list[IncomingArea], metric: np.ndarray) -> None:
    """Overlaps between neighbours and holes in their union, both above a sliver, in m²."""
    if len(metric) == 0:
        return
    tree = shapely.STRtree(metric)
    pairs = tree.query(metric, predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]
    if pairs.size:
        overlap = shapely.area(shapely.intersection(metric[pairs[0]], metric[pairs[1]]))
        found = sorted(
            (
                (areas[a].code, areas[b].code, float(m2))
                for a, b, m2 in zip(pairs[0], pairs[1], overlap, strict=True)
                if m2 > SLIVER_M2
            ),
            key=lambda item: -item[2],
        )
        plan.overlap_count = len(found)
        plan.overlaps = found[:OVERLAPS_LISTED]
    union = shapely.union_all(metric)
    holes = [ring for polygon in _polygons(union) for ring in polygon.interiors]
    plan.gaps = [m2 for m2 in (shapely.Polygon(ring).area for ring in holes) if m2 > SLIVER_M2]


def _polygons(geom: shapely.Geometry) -> Iterable[shapely.Polygon]:
    if isinstance(geom, shapely.Polygon):
        yield geom
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _polygons(part)


# --- where the areas go ---------------------------------------------------------------------


def _target_resolve(plan: ImportPlan, options: ImportOptions) -> None:
    level = Level.objects.filter(code=options.level).first()
    if level is None:
        if options.level_rank is None:
            known = ", ".join(Level.objects.values_list("code", flat=True)) or "none yet"
            raise TargetProblem(LEVEL_UNKNOWN.format(level=options.level, known=known))
        other = Level.objects.filter(rank=options.level_rank).first()
        if other is not None:
            raise TargetProblem(LEVEL_RANK_TAKEN.format(rank=options.level_rank, other=other.code))
    plan.level = level

    try:
        validate_slug(options.generation)
        if len(options.generation) > Generation._meta.get_field("name").max_length:
            raise ValidationError("too long")
    except ValidationError as exc:
        raise TargetProblem(GENERATION_NAME_INVALID.format(name=options.generation)) from exc
    generation = Generation.objects.filter(name=options.generation).first()
    newest = Generation.objects.order_by("-id").first()
    if generation is not None and generation != newest:
        raise TargetProblem(GENERATION_NOT_NEWEST.format(name=generation.name, newest=newest.name))
    plan.generation = generation
    plan.generation_is_new = generation is None
    has_current = Generation.objects.filter(active=True).exists()
    plan.will_activate = (generation is None or not generation.active) and (
        options.activate or not has_current
    )
    if level is None:
        return
    if (
        generation is not None
        and Area.objects.filter(level=level).in_generation(generation).exists()
    ):
        plan.baseline, plan.reimport = generation, True
        return
    earlier = Generation.objects.filter(
        Exists(
            Area.objects.filter(
                level=level,
                generation_low_id__lte=OuterRef("id"),
                generation_high_id__gte=OuterRef("id"),
            )
        )
    )
    if generation is not None:
        earlier = earlier.filter(id__lt=generation.id)
    plan.baseline = earlier.order_by("-id").first()


def _parents_resolve(
    plan: ImportPlan, incoming: list[IncomingArea], options: ImportOptions
) -> None:
    if not (options.parent_field or options.parent_level):
        return
    rank = plan.level.rank if plan.level else options.level_rank
    candidates = Area.objects.filter(level__rank__lt=rank)
    parent_level = None
    if options.parent_level:
        parent_level = Level.objects.filter(code=options.parent_level).first()
        if parent_level is None:
            known = ", ".join(Level.objects.values_list("code", flat=True)) or "none yet"
            raise TargetProblem(
                PARENT_LEVEL_UNKNOWN.format(level=options.parent_level, known=known)
            )
        if parent_level.rank >= rank:
            raise TargetProblem(
                PARENT_LEVEL_NOT_ABOVE.format(parent=parent_level.code, level=options.level)
            )
        candidates = Area.objects.filter(level=parent_level)
    generation = plan.generation
    candidates = candidates.in_generation(generation) if generation else candidates.none()
    if parent_level is not None and not candidates.exists():
        raise TargetProblem(
            PARENT_LEVEL_EMPTY.format(generation=options.generation, parent=parent_level.code)
        )
    if options.parent_field:
        by_code: dict[str, int] = {}
        # Lower levels first, so a code shared by two levels resolves to the nearer one.
        for area_id, code in candidates.order_by("-level__rank").values_list("id", "code"):
            by_code.setdefault(code, area_id)
        for area in incoming:
            if area.parent_code is None:
                continue
            if area.parent_code not in by_code:
                raise TargetProblem(
                    PARENT_CODE_UNKNOWN.format(
                        index=area.index,
                        code=area.code,
                        parent=area.parent_code,
                        level=options.level,
                        generation=options.generation,
                    )
                )
            area.parent_id = by_code[area.parent_code]
    else:
        _parents_by_overlap(incoming, candidates)
    codes = dict(
        Area.objects.filter(id__in={a.parent_id for a in incoming}).values_list("id", "code")
    )
    for area in incoming:
        area.parent_code = codes.get(area.parent_id)
    plan.without_parent = sum(1 for a in incoming if a.parent_id is None)


def _parents_by_overlap(incoming: list[IncomingArea], candidates) -> None:
    """Each area's parent is the candidate it overlaps most, measured in m² in UTM 48N."""
    rows = list(candidates.annotate(wkb=AsWKB("geom")).values_list("id", "wkb"))
    if not rows:
        return
    parents = _to_metric(shapely.from_wkb([bytes(wkb) for _, wkb in rows]))
    children = _to_metric([a.geom for a in incoming])
    tree = shapely.STRtree(parents)
    child_idx, parent_idx = tree.query(children, predicate="intersects")
    if child_idx.size == 0:
        return
    overlap = shapely.area(shapely.intersection(children[child_idx], parents[parent_idx]))
    best: dict[int, tuple[float, int]] = {}
    for c, p, m2 in zip(child_idx, parent_idx, overlap, strict=True):
        if m2 > SLIVER_M2 and (c not in best or m2 > best[c][0]):
            best[c] = (m2, rows[p][0])
    for c, (_, parent_id) in best.items():
        incoming[c].parent_id = parent_id


def _stored(level: Level, generation: Generation) -> dict[str, StoredArea]:
    rows = (
        Area.objects.filter(level=level)
        .in_generation(generation)
        .annotate(wkb=AsWKB("geom"))
        .values_list(
            "id",
            "code",
            "name",
            "name_en",
            "population",
            "parent_id",
            "parent__code",
            "generation_low_id",
            "generation_high_id",
            "wkb",
        )
    )
    return {row[1]: StoredArea(*row[:-1], geom=shapely.from_wkb(bytes(row[-1]))) for row in rows}


def _compare(plan: ImportPlan, incoming: list[IncomingArea]) -> None:
    stored = _stored(plan.level, plan.baseline) if plan.level and plan.baseline else {}
    for area in incoming:
        old = stored.pop(area.code, None)
        if old is None:
            plan.new.append(area)
        elif _same(area, old):
            plan.unchanged.append((area, old))
        else:
            plan.changed.append((area, old))
    plan.removed = sorted(stored.values(), key=lambda a: a.code)


def _same(area: IncomingArea, old: StoredArea) -> bool:
    return (
        (area.name, area.name_en, area.population, area.parent_code)
        == (old.name, old.name_en, old.population, old.parent_code)
        and shapely.get_num_geometries(area.geom) == shapely.get_num_geometries(old.geom)
        and shapely.equals_exact(
            shapely.normalize(area.geom), shapely.normalize(old.geom), GEOMETRY_TOLERANCE_DEG
        )
    )


# --- writing --------------------------------------------------------------------------------


def _commit(plan: ImportPlan, say: Progress) -> None:
    options = plan.options
    if plan.level is None:
        plan.level = services.level_create(
            code=options.level,
            name=options.level_name or options.level,
            name_en=options.level_name_en or "",
            rank=options.level_rank,
        )
    if plan.generation is None:
        plan.generation = services.generation_create(name=options.generation)
    target = plan.generation
    # The generation just before the target: rows ending there can simply be extended.
    before = Generation.objects.filter(id__lt=target.id).order_by("-id").first()

    rows: list[Area] = [_area_row(a, plan.level, target) for a in plan.new]
    geometry_written: list[int] = []
    extend: list[StoredArea] = []
    reparent: list[Area] = []
    shorten: list[int] = []
    delete: list[StoredArea] = []
    updates: list[Area] = []
    for area, old in plan.changed:
        if plan.reimport and old.generation_low_id == target.id:
            row = _area_row(area, plan.level, target)
            row.id = old.id
            updates.append(row)
            geometry_written.append(old.id)
        else:
            rows.append(_area_row(area, plan.level, target))
            if plan.reimport:
                shorten.append(old.id)
    for area, old in plan.unchanged:
        if plan.reimport:
            if area.parent_id != old.parent_id:
                row = _area_row(area, plan.level, target)
                row.id = old.id
                updates.append(row)
            continue
        if before is not None and old.generation_high_id == before.id:
            extend.append(old)
            if area.parent_id != old.parent_id:
                # Same parent code, but the parent's row is new in this generation.
                reparent.append(Area(id=old.id, parent_id=area.parent_id))
        else:
            rows.append(_area_row(area, plan.level, target))
            plan.copied += 1
    if plan.reimport:
        for old in plan.removed:
            (delete if old.generation_low_id == target.id else shorten).append(old.id)

    if shorten:
        # These rows stay in the older generations they share, and leave the target.
        Area.objects.filter(id__in=shorten).update(generation_high_id=before.id)
    if delete:
        try:
            Area.objects.filter(id__in=delete).delete()
        except ProtectedError as exc:
            raise TargetProblem(
                AREA_IN_USE.format(
                    code=", ".join(sorted(a.code for a in plan.removed if a.id in delete)),
                    generation=target.name,
                    reason=exc.args[0],
                )
            ) from exc
    if extend:
        Area.objects.filter(id__in=[a.id for a in extend]).update(generation_high_id=target.id)
        plan.carried_over = len(extend)
    Area.objects.bulk_update(reparent, ["parent"], batch_size=BATCH_SIZE)
    for start in range(0, len(updates), BATCH_SIZE):
        Area.objects.bulk_update(
            updates[start : start + BATCH_SIZE],
            ["name", "name_en", "population", "parent", "geom", "area_m2"],
        )
    for start in range(0, len(rows), BATCH_SIZE):
        batch = Area.objects.bulk_create(rows[start : start + BATCH_SIZE])
        geometry_written += [row.id for row in batch]
        say(f"wrote {min(start + BATCH_SIZE, len(rows))}/{len(rows)} areas")
    for start in range(0, len(geometry_written), BATCH_SIZE):
        plan.pieces += services.area_pieces_rebuild(
            area_ids=geometry_written[start : start + BATCH_SIZE]
        )
    say(f"rebuilt lookup pieces of {len(geometry_written)} areas")
    areas_imported.send(
        sender=Area,
        generation=target,
        level=plan.level,
        area_ids=geometry_written,
        extended_ids=[a.id for a in extend],
    )
    if plan.will_activate:
        services.generation_activate(generation=target)
        target.refresh_from_db()
    plan.committed = True
    logger.info(
        "imported level %s into generation %s: %d new, %d changed, %d unchanged",
        plan.level.code,
        target.name,
        len(plan.new),
        len(plan.changed),
        len(plan.unchanged),
    )


def _area_row(area: IncomingArea, level: Level, generation: Generation) -> Area:
    row = Area(
        code=area.code,
        name=area.name,
        name_en=area.name_en,
        level=level,
        parent_id=area.parent_id,
        generation_low=generation,
        generation_high=generation,
        # From WKB, which carries no spatial reference for GDAL to resolve.
        geom=GEOSGeometry(memoryview(shapely.to_wkb(area.geom)), srid=geo_crs.WGS84),
        area_m2=area.area_m2,
        population=area.population,
    )
    try:
        row.full_clean(
            exclude=["level", "parent", "generation_low", "generation_high"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{k} {' '.join(v)}" for k, v in exc.message_dict.items())
        raise FeatureProblem(
            VALUE_INVALID.format(index=area.index, code=area.code, field="", problem=problems)
        ) from exc
    return row
