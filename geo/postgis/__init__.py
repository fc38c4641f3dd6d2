"""The project's database backend: GeoDjango's PostGIS backend with a health check that
costs no round trip (see `geo.postgis.base`). Settings name it as ENGINE "geo.postgis"."""
