"""Planning analytics: where problems concentrate and how units perform.

Layout: pure functions over numpy arrays and (Geo)DataFrames (hexgrid, gistar, clusters,
trends, heatmap, performance) that need no database; selectors that pull only what those need
from PostGIS, aggregated in SQL where the work is set-based; analyses that join the two; and
thin views (views.py) and a management command (hotspots) over the analyses.
"""
