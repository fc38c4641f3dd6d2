"""Signals other apps listen to, so reports never imports them."""

from django.dispatch import Signal

# Sent (with `report_ids`) by writes that change many reports without saving each model
# instance: bulk UPDATEs and bulk_create. Model signals cover everything else. The tiles app
# redraws report tiles on it; receivers run inside the writer's transaction.
reports_bulk_changed = Signal()
