"""import_boundaries on small synthetic files: plans, generations, carry-over and every error."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from django.core.management import CommandError, call_command

from boundaries import importer
from boundaries.models import Area, AreaPiece, Generation, Level
from boundaries.selectors import area_lookup
from boundaries.services import measure_area_m2
from boundaries.signals import areas_imported, generation_activated
from geo.crs import VN2000_HANOI_TM3, WGS84
from tests.boundaries.conftest import (
    GRID_SIZE,
    GRID_SW,
    count,
    grid_rows,
    run_import,
    square_wkt,
    write_file,
)
from tests.factories.boundaries import GenerationFactory

pytestmark = pytest.mark.django_db

WARD = ("--level", "ward")
# Centres of the four grid squares, by code.
CENTRES = {
    f"0000{i + 1}": (
        GRID_SW[0] + (i % 2 + 0.5) * GRID_SIZE,
        GRID_SW[1] + (i // 2 + 0.5) * GRID_SIZE,
    )
    for i in range(4)
}


# In 00002's north-east quarter, which the shrunk 00002 of `changed_grid` no longer covers,
# and more than 200 m from every other square.
SHRUNK_AWAY = (105.818, 21.008)


def codes_at(code: str | tuple[float, float], generation: Generation) -> list[str]:
    """Codes answered for the centre of square `code` (or for an explicit lon/lat)."""
    lon, lat = CENTRES[code] if isinstance(code, str) else code
    return [a.code for a in area_lookup(lon=lon, lat=lat, generation=generation).areas]


def test_a_dry_run_prints_the_plan_and_writes_nothing(ward_level, grid_file):
    output = run_import(grid_file, *WARD, "--generation", "2025")
    assert count(output, "new") == 4
    assert count(output, "changed") == 0
    assert count(output, "unchanged") == 0
    assert count(output, "invalid geometries repaired") == 0
    assert count(output, "overlaps above 1 m² between neighbours") == 0
    assert count(output, "gaps above 1 m²") == 0
    assert count(output, "features without a code (skipped)") == 0
    assert "dry run: nothing was written" in output
    assert Area.objects.count() == 0
    assert Generation.objects.count() == 0


def test_commit_writes_areas_measured_in_metres_with_lookup_pieces(ward_level, grid_file):
    output = run_import(grid_file, *WARD, "--generation", "2025", "--commit")
    assert "committed: 4 areas written" in output
    area = Area.objects.get(code="00001")
    assert area.name == "Phường Thử 1"
    assert area.name_en == "Phuong Thu 1"  # derived without diacritics when no field is given
    assert area.level == ward_level
    assert area.geom.geom_type == "MultiPolygon"
    assert area.geom.srid == WGS84
    # 0.01 x 0.01 degrees at 21 N: about 1,039 m x 1,106 m.
    assert area.area_m2 == pytest.approx(measure_area_m2(area.geom), rel=1e-6)
    assert area.area_m2 == pytest.approx(1.149e6, rel=0.01)
    assert AreaPiece.objects.filter(area=area).exists()
    assert codes_at("00004", Generation.objects.get(name="2025")) == ["00004"]


def test_the_first_generation_is_activated_and_later_ones_are_staged(ward_level, grid_file):
    first = run_import(grid_file, *WARD, "--generation", "first", "--commit")
    second = run_import(grid_file, *WARD, "--generation", "second", "--commit")
    assert "now the current generation" in first
    assert "now the current generation" not in second
    assert Generation.objects.current().name == "first"
    assert Generation.objects.get(name="second").active is False


def test_activate_flag_makes_a_later_generation_current_at_once(ward_level, grid_file):
    run_import(grid_file, *WARD, "--generation", "first", "--commit")
    run_import(grid_file, *WARD, "--generation", "second", "--commit", "--activate")
    assert Generation.objects.current().name == "second"


def test_importing_the_same_file_again_changes_nothing(ward_level, grid_file):
    run_import(grid_file, *WARD, "--generation", "2025", "--commit")
    ids = sorted(Area.objects.values_list("id", flat=True))
    pieces = sorted(AreaPiece.objects.values_list("id", flat=True))
    output = run_import(grid_file, *WARD, "--generation", "2025", "--commit")
    assert (count(output, "new"), count(output, "changed"), count(output, "unchanged")) == (0, 0, 4)
    assert count(output, "removed") == 0
    assert sorted(Area.objects.values_list("id", flat=True)) == ids
    assert sorted(AreaPiece.objects.values_list("id", flat=True)) == pieces


def changed_grid(tmp_path):
    """The grid with 00002 shrunk to half, 00004 gone and a new 00005 beside it."""
    rows = [r for r in grid_rows() if r["code"] != "00004"]
    rows[1]["geometry"] = shapely.from_wkt(
        square_wkt(GRID_SW[0] + GRID_SIZE, GRID_SW[1], GRID_SIZE / 2)
    )
    rows.append(
        {
            "code": "00005",
            "name": "Phường Mới",
            "geometry": shapely.from_wkt(square_wkt(GRID_SW[0] + 2 * GRID_SIZE, GRID_SW[1])),
        }
    )
    return write_file(tmp_path / "changed.geojson", rows)


def test_a_new_generation_carries_unchanged_areas_over_instead_of_copying(
    ward_level, grid_file, tmp_path
):
    run_import(grid_file, *WARD, "--generation", "2019", "--commit")
    old = Generation.objects.get(name="2019")
    kept = Area.objects.get(code="00001")
    output = run_import(changed_grid(tmp_path), *WARD, "--generation", "2025", "--commit")
    new = Generation.objects.get(name="2025")
    assert "compared with: 2019" in output
    assert (count(output, "new"), count(output, "changed"), count(output, "unchanged")) == (1, 1, 2)
    assert count(output, "not carried over") == 1
    kept.refresh_from_db()
    assert (kept.generation_low, kept.generation_high) == (old, new)
    assert Area.objects.filter(code="00001").count() == 1
    # The changed area has one row per shape; the old one still answers for 2019.
    assert Area.objects.filter(code="00002").count() == 2
    assert codes_at("00002", old) == ["00002"]
    # 00004 left the boundaries in 2025 but is still there in 2019.
    assert codes_at("00004", old) == ["00004"]
    assert codes_at("00004", new) == []


def test_an_unchanged_area_is_copied_rather_than_stretched_over_a_generation_without_its_level(
    ward_level, district_level, tmp_path
):
    """Districts 2019, wards only 2025 (two-tier), districts again 2026: 2025 has no districts."""
    district = write_file(
        tmp_path / "district.geojson",
        [
            {
                "code": "001",
                "name": "Quận Thử",
                "geometry": shapely.box(105.80, 21.00, 105.82, 21.02),
            }
        ],
    )
    wards = write_file(tmp_path / "wards.geojson", grid_rows())
    run_import(district, "--level", "district", "--generation", "2019", "--commit")
    run_import(wards, *WARD, "--generation", "2025", "--commit")
    output = run_import(district, "--level", "district", "--generation", "2026", "--commit")
    assert count(output, "unchanged") == 1
    assert "1 copied" in output
    two_tier = Generation.objects.get(name="2025")
    assert codes_at("00001", two_tier) == ["00001"]
    assert codes_at("00001", Generation.objects.get(name="2026")) == ["001"]
    assert codes_at("00001", Generation.objects.get(name="2019")) == ["001"]


def test_reimporting_into_the_same_generation_updates_in_place_and_removes_missing_areas(
    ward_level, grid_file, tmp_path
):
    run_import(grid_file, *WARD, "--generation", "2025", "--commit")
    changed_id = Area.objects.get(code="00002").id
    output = run_import(changed_grid(tmp_path), *WARD, "--generation", "2025", "--commit")
    assert "(re-import)" in output
    assert (count(output, "new"), count(output, "changed"), count(output, "removed")) == (1, 1, 1)
    updated = Area.objects.get(code="00002")
    assert updated.id == changed_id
    assert updated.area_m2 == pytest.approx(1.149e6 / 4, rel=0.01)
    assert not Area.objects.filter(code="00004").exists()
    generation = Generation.objects.get(name="2025")
    # The pieces follow the new shape: the old square's north-east corner is no longer covered.
    assert codes_at(SHRUNK_AWAY, generation) == []


def test_reimport_splits_a_changed_area_shared_with_an_older_generation(
    ward_level, grid_file, tmp_path
):
    run_import(grid_file, *WARD, "--generation", "2019", "--commit")
    run_import(grid_file, *WARD, "--generation", "2025", "--commit")
    old, new = Generation.objects.get(name="2019"), Generation.objects.get(name="2025")
    assert Area.objects.count() == 4  # all carried over
    run_import(changed_grid(tmp_path), *WARD, "--generation", "2025", "--commit")
    assert codes_at(SHRUNK_AWAY, old) == ["00002"]
    assert codes_at(SHRUNK_AWAY, new) == []
    assert codes_at("00004", old) == ["00004"]
    assert codes_at("00004", new) == []
    shrunk = Area.objects.get(code="00002", generation_low=new)
    assert shrunk.area_m2 == pytest.approx(1.149e6 / 4, rel=0.01)


def test_an_invalid_polygon_is_repaired_and_counted(ward_level, tmp_path):
    bowtie = "POLYGON((105.80 21.00, 105.81 21.01, 105.81 21.00, 105.80 21.01, 105.80 21.00))"
    path = write_file(
        tmp_path / "bowtie.geojson",
        [{"code": "00001", "name": "Phường Nơ", "geometry": shapely.from_wkt(bowtie)}],
    )
    output = run_import(path, *WARD, "--generation", "2025", "--commit")
    assert count(output, "invalid geometries repaired") == 1
    area = Area.objects.get(code="00001")
    assert area.geom.valid
    assert area.geom.num_geom == 2  # two triangles meeting at a point
    assert area.area_m2 == pytest.approx(1.149e6 / 2, rel=0.01)


def test_overlaps_and_gaps_between_neighbours_are_reported(ward_level, tmp_path):
    """A 3 x 3 block without its centre has one gap; a square shifted south-west overlaps one.

    (The shifted square touches no other edge: edges that meet without sharing vertices part
    by a sliver of about a square metre once projected to UTM.)
    """
    rows = []
    for i in range(9):
        if i == 4:
            continue
        lon, lat = GRID_SW[0] + (i % 3) * GRID_SIZE, GRID_SW[1] + (i // 3) * GRID_SIZE
        rows.append(
            {"code": f"{i}", "name": f"Ô {i}", "geometry": shapely.from_wkt(square_wkt(lon, lat))}
        )
    shifted = square_wkt(GRID_SW[0] - GRID_SIZE / 2, GRID_SW[1] - GRID_SIZE / 2)
    rows.append({"code": "x", "name": "Ô lệch", "geometry": shapely.from_wkt(shifted)})
    output = run_import(write_file(tmp_path / "ring.geojson", rows), *WARD, "--generation", "g")
    assert count(output, "overlaps above 1 m² between neighbours") == 1
    assert "overlap 0 / x" in output
    assert count(output, "gaps above 1 m²") == 1


def test_features_without_a_code_are_skipped_and_counted(ward_level, tmp_path):
    rows = grid_rows()
    rows[3]["code"] = None
    output = run_import(
        write_file(tmp_path / "g.geojson", rows), *WARD, "--generation", "g", "--commit"
    )
    assert count(output, "features without a code (skipped)") == 1
    assert count(output, "new") == 3
    assert sorted(Area.objects.values_list("code", flat=True)) == ["00001", "00002", "00003"]


def test_parents_come_from_the_largest_overlap(ward_level, district_level, tmp_path):
    """The west district holds most of the two western squares, the east one the others."""
    districts = write_file(
        tmp_path / "d.geojson",
        [
            {
                "code": "001",
                "name": "Quận Tây",
                "geometry": shapely.box(105.79, 20.99, 105.8105, 21.03),
            },
            {
                "code": "002",
                "name": "Quận Đông",
                "geometry": shapely.box(105.8105, 20.99, 105.83, 21.03),
            },
        ],
    )
    run_import(districts, "--level", "district", "--generation", "g", "--commit")
    output = run_import(
        grid_file_for(tmp_path),
        *WARD,
        "--generation",
        "g",
        "--parent-level",
        "district",
        "--commit",
    )
    assert count(output, "areas without a parent") == 0
    parents = dict(Area.objects.filter(level=ward_level).values_list("code", "parent__code"))
    assert parents == {"00001": "001", "00002": "002", "00003": "001", "00004": "002"}
    generation = Generation.objects.get(name="g")
    assert codes_at("00002", generation) == ["00002", "002"]


def grid_file_for(tmp_path, parent: str | None = None):
    rows = grid_rows()
    if parent is not None:
        for row in rows:
            row["parent"] = parent
    return write_file(tmp_path / f"grid-{parent}.geojson", rows)


def test_parents_come_from_a_code_field(ward_level, district_level, tmp_path):
    districts = write_file(
        tmp_path / "d.geojson",
        [{"code": "001", "name": "Quận", "geometry": shapely.box(105.79, 20.99, 105.83, 21.03)}],
    )
    run_import(districts, "--level", "district", "--generation", "g", "--commit")
    run_import(
        grid_file_for(tmp_path, "001"),
        *WARD,
        "--generation",
        "g",
        "--parent-field",
        "parent",
        "--commit",
    )
    assert set(Area.objects.filter(level=ward_level).values_list("parent__code", flat=True)) == {
        "001"
    }


def test_a_level_can_be_created_by_the_import(grid_file):
    run_import(
        grid_file, "--level", "commune", "--level-rank", "3", "--level-name", "Xã",
        "--generation", "g", "--commit",
    )  # fmt: skip
    level = Level.objects.get(code="commune")
    assert (level.name, level.rank) == ("Xã", 3)
    assert Area.objects.filter(level=level).count() == 4


def test_a_zipped_shapefile_is_read(ward_level, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_file(folder / "wards.shp", grid_rows())
    archive = tmp_path / "wards.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)
    output = run_import(archive, *WARD, "--generation", "g", "--commit")
    assert count(output, "new") == 4
    assert Area.objects.get(code="00003").name == "Phường Thử 3"


def test_a_kml_file_is_read(ward_level, tmp_path):
    import pyogrio

    if "KML" not in pyogrio.list_drivers() and "LIBKML" not in pyogrio.list_drivers():
        pytest.skip("GDAL has no KML driver here")
    path = write_file(tmp_path / "wards.kml", grid_rows(), driver="KML")
    # KML keeps the name as the placemark's <name>, which GDAL reads as "Name".
    output = run_import(path, *WARD, "--name-field", "Name", "--generation", "g", "--commit")
    assert count(output, "new") == 4
    assert Area.objects.get(code="00002").name == "Phường Thử 2"


def test_a_file_in_vn2000_metres_lands_where_the_wgs84_original_is(ward_level, tmp_path):
    """The datum shift is ~200 m; after import the squares sit within a centimetre of home."""

    frame = gpd.GeoDataFrame(grid_rows(), geometry="geometry", crs=f"EPSG:{WGS84}")
    frame.to_crs(VN2000_HANOI_TM3).to_file(tmp_path / "tm3.gpkg")
    run_import(tmp_path / "tm3.gpkg", *WARD, "--generation", "g", "--commit")
    stored = shapely.from_wkt(Area.objects.get(code="00001").geom.wkt)
    original = shapely.from_wkt(square_wkt(*GRID_SW))
    assert shapely.hausdorff_distance(stored, original) < 1e-7  # degrees, about 1 cm


def test_a_failure_while_writing_leaves_nothing_behind(ward_level, grid_file):
    """A listener refusing the activation rolls the whole import back."""

    def refuse(sender, **kwargs):
        raise RuntimeError("listener refused")

    generation_activated.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            run_import(grid_file, *WARD, "--generation", "g", "--commit")
    finally:
        generation_activated.disconnect(refuse)
    assert Area.objects.count() == 0
    assert AreaPiece.objects.count() == 0
    assert Generation.objects.count() == 0


def no_crs_shapefile(tmp_path, rows=None, crs=WGS84):
    path = write_file(tmp_path / "noprj.shp", rows or grid_rows(), crs=crs)
    path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def test_a_file_without_crs_is_read_with_source_srid(ward_level, tmp_path):

    frame = gpd.GeoDataFrame(grid_rows(), geometry="geometry", crs=f"EPSG:{WGS84}")
    metres = [
        dict(r, geometry=g)
        for r, g in zip(grid_rows(), frame.to_crs(VN2000_HANOI_TM3).geometry, strict=True)
    ]
    path = no_crs_shapefile(tmp_path, metres, crs=None)
    run_import(path, *WARD, "--generation", "g", "--source-srid", str(VN2000_HANOI_TM3), "--commit")
    assert codes_at("00004", Generation.objects.get(name="g")) == ["00004"]


def empty_file(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    return path


def garbage_file(tmp_path):
    path = tmp_path / "garbage.geojson"
    path.write_text("this is not a boundary file")
    return path


def points_file(tmp_path):
    return write_file(
        tmp_path / "points.geojson",
        [{"code": "00001", "name": "Điểm", "geometry": shapely.Point(105.8, 21.0)}],
    )


def duplicate_file(tmp_path):
    rows = grid_rows()
    rows[2]["code"] = "00001"
    return write_file(tmp_path / "dup.geojson", rows)


def metres_without_crs(tmp_path):

    frame = gpd.GeoDataFrame(grid_rows(), geometry="geometry", crs=f"EPSG:{WGS84}")
    return no_crs_shapefile(
        tmp_path, list(frame.to_crs(VN2000_HANOI_TM3).to_dict("records")), crs=None
    )


def bad_population_file(tmp_path):
    rows = [dict(row, population=n * 1000) for n, row in enumerate(grid_rows(), start=1)]
    rows[1]["population"] = "nhiều"
    return write_file(tmp_path / "population.geojson", rows)


def long_code_file(tmp_path):
    rows = grid_rows()
    rows[0]["code"] = "9" * 40
    return write_file(tmp_path / "long.geojson", rows)


def grid(tmp_path):
    return write_file(tmp_path / "grid.geojson", grid_rows())


def two_generations(tmp_path):
    GenerationFactory(name="older")
    GenerationFactory(name="newer")
    return grid(tmp_path)


def district_only(tmp_path):
    from tests.factories.boundaries import LevelFactory

    LevelFactory(code="district", rank=1)
    return grid(tmp_path)


# (make the file, extra options, message the error must contain)
ERROR_CASES = {
    "missing file": (lambda p: p / "nowhere.geojson", (), importer.FILE_NOT_FOUND.split(":")[0]),
    "unreadable file": (garbage_file, (), "cannot read"),
    "empty file": (empty_file, (), "has no features"),
    "population not a number": (
        bad_population_file,
        ("--population-field", "population"),
        "feature 2 (code '00002'): population is not a whole non-negative number: 'nhiều'",
    ),
    "code too long": (long_code_file, (), "code is 40 characters long; at most 32 fit"),
    "missing field": (grid, ("--code-field", "ma"), "field 'ma' (given by --code-field)"),
    "missing name field": (grid, ("--name-field", "ten"), "field 'ten' (given by --name-field)"),
    "non-polygon geometry": (points_file, (), "is a Point"),
    "duplicate code": (duplicate_file, (), "code '00001' appears in 2 features (1, 3)"),
    "no crs": (no_crs_shapefile, (), "declares no coordinate reference system"),
    "unknown crs": (no_crs_shapefile, ("--source-srid", "999999"), "EPSG:999999"),
    "conflicting crs": (
        grid,
        ("--source-srid", "5897"),
        "declares EPSG:4326 but --source-srid 5897",
    ),
    "wrong crs": (metres_without_crs, ("--source-srid", "4326"), "fall outside the globe"),
    "unknown level": (grid, ("--level", "hamlet"), "unknown level 'hamlet'"),
    "bad generation name": (grid, ("--generation", "two words"), "must be a slug"),
    "older generation": (
        two_generations,
        ("--generation", "older"),
        "is not the newest generation",
    ),
    "unknown parent level": (
        grid,
        ("--parent-level", "province"),
        "unknown parent level 'province'",
    ),
    "parent level not above": (grid, ("--parent-level", "ward"), "is not above level 'ward'"),
    "parent level empty": (
        district_only,
        ("--parent-level", "district"),
        "has no areas of level 'district'",
    ),
    "unknown parent code": (grid, ("--parent-field", "name"), "parent code 'Phường Thử 1'"),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_every_documented_problem_is_a_command_error_that_writes_nothing(
    ward_level, tmp_path, case
):
    make, extra, message = ERROR_CASES[case]
    path = make(tmp_path)
    generations_before = Generation.objects.count()
    options = {"--level": "ward", "--generation": "g"}
    for name, value in zip(extra[::2], extra[1::2], strict=True):
        options[name] = value
    args = [item for pair in options.items() for item in pair]
    with pytest.raises(CommandError) as raised:
        run_import(path, *args, "--commit")
    assert message in str(raised.value)
    assert Area.objects.count() == 0
    assert Generation.objects.count() == generations_before


def test_activate_generation_switches_and_refuses_unknown_or_current(ward_level, grid_file):
    run_import(grid_file, *WARD, "--generation", "first", "--commit")
    run_import(grid_file, *WARD, "--generation", "second", "--commit")
    call_command("activate_generation", "second", stdout=io.StringIO())
    assert Generation.objects.current().name == "second"
    with pytest.raises(CommandError, match="already the current generation"):
        call_command("activate_generation", "second")
    with pytest.raises(CommandError, match="unknown generation 'third'"):
        call_command("activate_generation", "third")


def test_a_layer_of_a_multi_layer_geopackage_is_chosen_by_name(ward_level, tmp_path):
    path = tmp_path / "city.gpkg"
    gpd.GeoDataFrame(
        [{"code": "x", "name": "Khác", "geometry": shapely.box(0, 0, 1, 1)}],
        geometry="geometry",
        crs=f"EPSG:{WGS84}",
    ).to_file(path, layer="other")
    gpd.GeoDataFrame(grid_rows(), geometry="geometry", crs=f"EPSG:{WGS84}").to_file(
        path, layer="wards"
    )
    output = run_import(path, *WARD, "--layer", "wards", "--generation", "g", "--commit")
    assert count(output, "new") == 4
    first = run_import(path, *WARD, "--generation", "g")
    assert "has layers other, wards; reading other" in first
    with pytest.raises(CommandError, match="has no layer 'parks'; layers: other, wards"):
        run_import(path, *WARD, "--layer", "parks", "--generation", "g")


def test_progress_is_printed_while_reading_and_writing(ward_level, grid_file):
    output = run_import(grid_file, *WARD, "--generation", "g", "--commit")
    assert "read 4 features from" in output
    assert "wrote 4/4 areas" in output
    assert "rebuilt lookup pieces of 4 areas" in output


def test_listeners_hear_which_areas_an_import_wrote_and_carried_over(
    ward_level, grid_file, tmp_path
):
    """Bulk writes bypass model signals, so the importer says what it wrote."""
    heard = []

    def listener(sender, generation, level, area_ids, extended_ids, **kwargs):
        heard.append((generation.name, level.code, sorted(area_ids), sorted(extended_ids)))

    areas_imported.connect(listener)
    try:
        run_import(grid_file, *WARD, "--generation", "2019", "--commit")
        first_ids = sorted(Area.objects.values_list("id", flat=True))
        run_import(changed_grid(tmp_path), *WARD, "--generation", "2025", "--commit")
    finally:
        areas_imported.disconnect(listener)
    new_ids = sorted(Area.objects.filter(generation_low__name="2025").values_list("id", flat=True))
    kept = sorted(Area.objects.filter(code__in=["00001", "00003"]).values_list("id", flat=True))
    assert heard == [("2019", "ward", first_ids, []), ("2025", "ward", new_ids, kept)]


def test_the_text_encoding_of_a_shapefile_without_cpg_can_be_given(ward_level, tmp_path):
    """Without a .cpg, GDAL reads Shapefile text as ISO-8859-1 and garbles Vietnamese."""
    path = write_file(tmp_path / "wards.shp", grid_rows())
    path.with_suffix(".cpg").unlink()
    garbled = run_import(path, *WARD, "--generation", "g", "--commit")
    assert count(garbled, "new") == 4
    assert Area.objects.get(code="00001").name != "Phường Thử 1"
    run_import(path, *WARD, "--generation", "g", "--encoding", "utf-8", "--commit")
    assert Area.objects.get(code="00001").name == "Phường Thử 1"
    with pytest.raises(CommandError, match="unknown text encoding 'klingon'"):
        run_import(path, *WARD, "--generation", "g", "--encoding", "klingon")


def test_population_is_read_from_a_field(ward_level, tmp_path):
    rows = [dict(row, population=n * 1000) for n, row in enumerate(grid_rows(), start=1)]
    path = write_file(tmp_path / "population.geojson", rows)
    run_import(path, *WARD, "--population-field", "population", "--generation", "g", "--commit")
    assert dict(Area.objects.values_list("code", "population")) == {
        "00001": 1000,
        "00002": 2000,
        "00003": 3000,
        "00004": 4000,
    }
