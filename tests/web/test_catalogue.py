"""The committed Vietnamese catalogue: complete, and its compiled .mo in step with the .po
(set-up does not run compilemessages, so a stale .mo would silently show old wording)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "web" / "locale" / "vi" / "LC_MESSAGES"
_ENTRY = re.compile(
    r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n)+)', re.M
)


def _text(quoted: str) -> str:
    return "".join(ast.literal_eval(line) for line in quoted.strip().splitlines())


def po_entries() -> dict[str, str]:
    """msgid → msgstr of every entry in django.po (the header left out)."""
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    entries = {_text(m.group(1)): _text(m.group(2)) for m in _ENTRY.finditer(text)}
    entries.pop("", None)
    return entries


def test_every_message_of_the_pages_has_a_vietnamese_translation():
    entries = po_entries()
    assert len(entries) > 150
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = po_entries()
    for msgid, msgstr in entries.items():
        assert compiled.gettext(msgid) == msgstr or compiled.ngettext(msgid, msgid, 1) == msgstr, (
            f"django.mo is stale for {msgid!r}: run compilemessages in web/"
        )
