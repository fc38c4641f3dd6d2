"""Signals other apps listen to, so boundaries never imports them."""

from django.dispatch import Signal

# Sent inside the activation transaction with `generation` and `previous` (or None).
# The reports app re-routes open reports on it; a failing receiver rolls the switch back.
generation_activated = Signal()
