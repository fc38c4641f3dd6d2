"""Mapbox Vector Tiles served straight from PostGIS."""
