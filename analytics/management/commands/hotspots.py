"""Write hot spots (Gi* cells or DBSCAN clusters) to a file QGIS opens.

    python manage.py hotspots --method gistar --category o-ga-ngap-nuoc \
        --since 2025-07-01 --until 2025-09-30 --cell-m 250 --out hotspots.gpkg

The format follows the extension: .gpkg (GeoPackage), .geojson/.json (GeoJSON) or .csv
(attributes plus the geometry as WKT, WGS 84). Parameters are validated exactly as the API
validates them; every study cell is written (not only the significant ones), so the file can
be re-classified in QGIS.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import analyses, params
from analytics.analyses import AnalysisError
from analytics.params import Params
from analytics.views import CLUSTER_PROPERTIES, GISTAR_PROPERTIES
from geo.crs import WGS84

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV"}
UNKNOWN_EXTENSION = "--out must end in one of {extensions}"


class Command(BaseCommand):
    help = "Compute Gi* hot spots or DBSCAN clusters of reports and write GeoPackage/GeoJSON/CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--method", default="gistar", help="gistar (default) or dbscan")
        parser.add_argument("--out", required=True, help="Output file: .gpkg, .geojson or .csv")
        for name in params.FILTER_PARAMETERS:
            parser.add_argument(f"--{name}", help=f"Report filter, as the API's {name}")
        for name in (*params.GISTAR_PARAMETERS, *params.DBSCAN_PARAMETERS):
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, help="As in the API")

    _query_keys = (
        *params.FILTER_PARAMETERS,
        "method",
        *params.GISTAR_PARAMETERS,
        *params.DBSCAN_PARAMETERS,
    )

    def handle(self, *args, **options) -> None:
        out = Path(options["out"])
        driver = DRIVERS.get(out.suffix.lower())
        if driver is None:
            raise CommandError(UNKNOWN_EXTENSION.format(extensions=", ".join(DRIVERS)))
        query = {
            key: str(value)
            for key, value in options.items()
            if value is not None and key in self._query_keys
        }
        try:
            frame, columns = self._compute(query)
        except AnalysisError as error:
            raise CommandError(f"--{error.parameter.replace('_', '-')}: {error.message}") from None
        frame = frame[[*columns, "geometry"]].to_crs(WGS84)
        out.parent.mkdir(parents=True, exist_ok=True)
        if driver == "CSV":
            table = frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt())
            table.to_csv(out, index=False)
        else:
            frame.to_file(out, driver=driver, layer="hotspots" if driver == "GPKG" else None)
        self.stdout.write(f"wrote {len(frame)} features to {out} ({driver})")

    def _compute(self, query: dict[str, str]):
        method = query.get("method", "gistar")
        if method not in ("gistar", "dbscan"):
            raise AnalysisError("method", "must be gistar or dbscan")
        own = params.GISTAR_PARAMETERS if method == "gistar" else params.DBSCAN_PARAMETERS
        p = Params(query, (*params.FILTER_PARAMETERS, "method", *own))
        f = params.report_filter(p)
        if method == "dbscan":
            result = analyses.dbscan_clusters(f, **params.dbscan_options(p))
            return result.frame, CLUSTER_PROPERTIES
        options = params.gistar_options(p)
        result = analyses.gistar_hotspots(f, **options)
        return result.frame, GISTAR_PROPERTIES + (["trend"] if options["windows"] >= 2 else [])
