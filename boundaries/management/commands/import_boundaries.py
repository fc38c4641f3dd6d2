"""Import administrative boundaries from a vector file; a dry run unless --commit is given."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from boundaries import importer


class Command(BaseCommand):
    help = (
        "Import areas of one level into a boundary generation from any file GDAL reads "
        "(GeoJSON, Shapefile or zipped Shapefile, GeoPackage, KML). Prints what would change; "
        "writes only with --commit, in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the file (or a .zip holding a Shapefile)")
        parser.add_argument("--level", required=True, help="level code, e.g. ward")
        parser.add_argument("--generation", required=True, help="generation name, e.g. 2025-07")
        parser.add_argument("--code-field", default="code", help="official code (default: code)")
        parser.add_argument("--name-field", default="name", help="Vietnamese name (default: name)")
        parser.add_argument(
            "--name-en-field", help="ASCII/English name (default: the name without diacritics)"
        )
        parser.add_argument("--population-field", help="optional population")
        parent = parser.add_argument_group("parents")
        parent.add_argument("--parent-field", help="field holding the parent area's code")
        parent.add_argument(
            "--parent-level", help="parent level; without --parent-field, by largest overlap"
        )
        parser.add_argument(
            "--source-srid", type=int, help="EPSG code for files that declare no CRS, e.g. 5897"
        )
        parser.add_argument("--layer", help="layer name in multi-layer files (default: first)")
        parser.add_argument(
            "--encoding",
            help="text encoding of a Shapefile without a .cpg file, e.g. utf-8 or cp1258",
        )
        parser.add_argument(
            "--activate",
            action="store_true",
            help="make the generation current after writing (a fresh database does so anyway)",
        )
        level = parser.add_argument_group("creating the level with this import")
        level.add_argument("--level-rank", type=int, help="0 = top tier; create --level if new")
        level.add_argument("--level-name", help="Vietnamese name of a new level")
        level.add_argument("--level-name-en", help="English name of a new level")
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")

    def handle(self, *args, **options) -> None:
        import_options = importer.ImportOptions(
            level=options["level"],
            generation=options["generation"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            name_en_field=options["name_en_field"],
            parent_field=options["parent_field"],
            parent_level=options["parent_level"],
            population_field=options["population_field"],
            source_srid=options["source_srid"],
            layer=options["layer"],
            encoding=options["encoding"],
            activate=options["activate"],
            level_rank=options["level_rank"],
            level_name=options["level_name"],
            level_name_en=options["level_name_en"],
        )
        progress = self.stdout.write if options["verbosity"] >= 1 else None
        try:
            plan = importer.boundaries_import(
                path=options["path"],
                options=import_options,
                commit=options["commit"],
                progress=progress,
            )
        except importer.BoundaryImportError as exc:
            raise CommandError(str(exc)) from exc
        for line in plan.summary_lines():
            self.stdout.write(line)
