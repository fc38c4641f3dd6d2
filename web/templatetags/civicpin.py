"""Template filters for the pages: translated status and event names, localised names."""

from django import template

from web import labels

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    return labels.status_label(code)


@register.filter
def status_colour(code: str) -> str:
    return labels.STATUS_COLOURS.get(code, "#777777")


@register.filter
def event_label(code: str) -> str:
    return labels.event_label(code)


@register.filter
def local_name(obj) -> str:
    return labels.local_name(obj)
