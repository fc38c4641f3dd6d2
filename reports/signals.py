"""Signals other apps listen to, so reports never imports them."""

from django.dispatch import Signal

# Sent (with `report_ids`) by writes that change reports without saving each model instance:
# bulk UPDATEs, bulk_create and a new report's filing statement. Model signals cover
# everything else. The tiles app redraws report tiles on it; receivers run inside the
# writer's transaction. A filing also sends `also_written`: the names of the other apps'
# writes its statement already ran (reports.filing.also_write).
reports_bulk_changed = Signal()
