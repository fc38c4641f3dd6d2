"""Signals other apps listen to, so boundaries never imports them."""

from django.dispatch import Signal

# Sent inside the activation transaction with `generation` and `previous` (or None).
# The reports app re-routes open reports on it; a failing receiver rolls the switch back.
generation_activated = Signal()

# Sent inside the import transaction once an import has written its areas with bulk writes,
# which bypass model signals: `generation` (the target), `level`, `area_ids` (areas whose
# geometry was written) and `extended_ids` (areas carried over into `generation`). Caches of
# boundary geometry (tiles) listen to this to stay in step.
areas_imported = Signal()
