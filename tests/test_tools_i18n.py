"""Plain pytest: the translation files against their template (i18n/account_dunning.pot).

Odoo loads a ``.po`` entry only when its msgid is in the ``.pot`` and it carries the
``#. module: account_dunning`` header; a fuzzy or empty translation shows the English
source to the customer. ``scripts/i18n.sh`` regenerates the template and merges it in;
these tests fail until every new term is translated.
"""

import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from lxml import etree

from .pure import odoo_test_case

I18N = Path(__file__).resolve().parent.parent / "i18n"
TEMPLATE = I18N / "account_dunning.pot"
# Every term of the template is translated in every shipped language (fuzzy counts as
# missing): a new term fails the test until it is translated in all of them.
LANGUAGES = ("fr", "de", "es", "pt_BR")

# What a translation must keep exactly: Python format fields (%(x)s, %s, %%), inline
# template expressions ({{ ... }}) and every HTML/QWeb tag with its attributes.
PYTHON_FORMAT = re.compile(r"%(?:\([^)]+\))?[sdfr%]")
EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
TAG = re.compile(r"<[^<>]+>")


def _entries(path):
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def _placeholders(text):
    """The multiset of what a translation may not change, whitespace-insensitive."""
    found = PYTHON_FORMAT.findall(text) + EXPRESSION.findall(text) + TAG.findall(text)
    return Counter(" ".join(item.split()) for item in found)


def _is_xml(text):
    try:
        etree.fromstring(f"<root>{text}</root>")
    except etree.XMLSyntaxError:
        return False
    return True


@pytest.fixture(scope="module")
def template():
    entries = _entries(TEMPLATE)
    assert entries, f"{TEMPLATE} has no entry"
    return {entry.msgid: entry for entry in entries}


def test_translation_languages_are_the_shipped_files():
    shipped = {path.stem for path in I18N.glob("*.po")}
    assert shipped == set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translation_file_follows_the_template(template, lang):
    entries = _entries(I18N / f"{lang}.po")
    msgids = [entry.msgid for entry in entries]
    assert not [msgid for msgid, n in Counter(msgids).items() if n > 1], "duplicate msgids"
    missing = sorted(set(template) - set(msgids))
    assert not missing, f"{lang}.po lacks {len(missing)} terms of the .pot, e.g. {missing[:5]}"
    extra = sorted(set(msgids) - set(template))
    assert not extra, f"{lang}.po has {len(extra)} terms Odoo would not load: {extra[:5]}"
    headless = [e.msgid for e in entries if "module: account_dunning" not in e.comment]
    assert not headless, f"{lang}.po entries without '#. module: account_dunning': {headless[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translation_complete(template, lang):
    entries = _entries(I18N / f"{lang}.po")
    untranslated = [e.msgid for e in entries if not e.msgstr.strip()]
    assert not untranslated, (
        f"{lang}.po: {len(untranslated)} untranslated terms, e.g. {untranslated[:5]}"
    )
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"{lang}.po: {len(fuzzy)} fuzzy terms, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translation_keeps_placeholders_and_markup(lang):
    problems = []
    for entry in _entries(I18N / f"{lang}.po"):
        if not entry.msgstr:
            continue
        if _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            source, translation = _placeholders(entry.msgid), _placeholders(entry.msgstr)
            problems.append(
                f"{entry.msgid[:60]!r}: lost {dict(source - translation)}, "
                f"added {dict(translation - source)}"
            )
        elif _is_xml(entry.msgid) and not _is_xml(entry.msgstr):
            problems.append(f"{entry.msgid[:60]!r}: the translation is not valid markup")
    assert not problems, f"{lang}.po:\n" + "\n".join(problems)


def test_translation_checks_catch_mistakes():
    """The checks above would see a dropped field, a changed tag or broken markup."""
    assert _placeholders("Pay %(amount)s by %s") != _placeholders("Payer %(montant)s le %s")
    assert _placeholders('<t t-out="object.name">X</t>') != _placeholders("<t>X</t>")
    assert _placeholders("{{ object.name }}: hi") == _placeholders("{{ object.name }} : salut")
    assert _placeholders("Rate (%)") == _placeholders("Taux (%)")
    assert _is_xml("<strong>Total</strong>") and not _is_xml("<strong>Total</strong")


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
