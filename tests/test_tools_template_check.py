"""Pure tests of tools/template_check.py: the threatening phrases of each language."""

import pytest

from ..tools.template_check import (
    DEFAULT_PHRASES,
    DEFAULT_PHRASES_BY_LANG,
    find_threatening_phrases,
    parse_phrases,
)
from .pure import odoo_test_case

PHRASES = parse_phrases(DEFAULT_PHRASES)

THREATS = [
    ("en", "We will sue you next week.", "sue you"),
    ("fr", "Un huissier se présentera à votre domicile.", "huissier"),
    ("fr", "Nous allons vous poursuivre en justice.", "vous poursuivre en justice"),
    ("fr", "Une saisie sur salaire sera demandée.", "saisie sur salaire"),
    ("de", "Wir werden Sie verklagen.", "verklagen"),
    ("de", "Der Gerichtsvollzieher kommt morgen.", "gerichtsvollzieher"),
    ("de", "Ein SCHUFA-Eintrag folgt.", "schufa-eintrag"),
    ("es", "Usted podría ir a la cárcel.", "cárcel"),
    ("es", "Lo incluiremos en la lista de morosos.", "lista de morosos"),
    ("es", "Procederemos al embargo de sus bienes.", "embargo de sus bienes"),
    ("pt_BR", "Vamos processá-lo na justiça.", "processá-lo"),
    ("pt_BR", "Haverá penhora dos seus bens.", "penhora"),
    ("pt_BR", "Um oficial de justiça irá até você.", "oficial de justiça"),
]

# What our own templates and ordinary letters say in those languages: no warning.
NEUTRAL = [
    "Sin embargo, no consta su pago.",
    "Nous transmettrons le dossier à notre service de recouvrement.",
    "Wir übergeben die Forderung einem Inkassounternehmen.",
    "Encaminharemos o processo a uma empresa de cobrança.",
    "Erreur de saisie ? Répondez-nous. Nom d'affichage.",
    "Die Haftung bleibt unberührt; eine Kette von Lieferanten (cadeia de suprimentos).",
]


def test_every_language_has_phrases():
    assert set(DEFAULT_PHRASES_BY_LANG) == {"en", "fr", "de", "es", "pt_BR"}
    for lang, value in DEFAULT_PHRASES_BY_LANG.items():
        assert len(parse_phrases(value)) >= 6, lang


@pytest.mark.parametrize(("lang", "text", "phrase"), THREATS)
def test_threat_found(lang, text, phrase):
    assert phrase in parse_phrases(DEFAULT_PHRASES_BY_LANG[lang])
    assert phrase in find_threatening_phrases([f"<p>{text}</p>"], PHRASES)


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_wording_not_found(text):
    assert find_threatening_phrases([text], PHRASES) == []


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
