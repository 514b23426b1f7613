"""Threatening phrases in a message template (no ORM).

Regulation F 1006.18 forbids threatening an action that is not intended; Brazil's CDC
(art. 71) forbids threats outright. Saving a template that contains a phrase of the
configurable list warns the manager; it does not block (a phrase may be legitimate in
context, e.g. a real, intended transfer to an agency).
"""

import re

from markupsafe import Markup

# Threats a debt collector may not make (or only when really intended), per language of
# the module. Not the neutral words of our own templates ("recouvrement", "Inkasso",
# "cobrança", "demande"): words that are threats in any collections message (prison,
# bailiff, seizure, "we will sue you", a blackened credit name), matched at the start of
# a word. Ambiguous words are given in a phrase ("embargo" alone is the "sin embargo"
# of every Spanish letter; "cadeia" is also a chain; "saisie" also data entry).
DEFAULT_PHRASES_BY_LANG = {
    "en": "sue you, arrest, jail, police, seize, garnish, ruin your credit, "
    "last warning before court",
    "fr": "huissier, vous poursuivre en justice, saisir vos biens, saisie sur salaire, "
    "prison, fichage bancaire, dernier avertissement avant poursuites",
    "de": "gerichtsvollzieher, pfändung, pfänden, gefängnis, verklagen, schufa-eintrag, "
    "letzte warnung vor gericht",
    "es": "cárcel, prisión, demandarle, le demandaremos, lista de morosos, embargar, "
    "embargo de sus bienes, embargo de su sueldo",
    "pt_BR": "prisão, penhora, penhorar, processá-lo, nome sujo, sujar seu nome, "
    "oficial de justiça",
}
DEFAULT_PHRASES = ", ".join(DEFAULT_PHRASES_BY_LANG.values())


def parse_phrases(value):
    """'sue you, arrest' -> ('sue you', 'arrest'): lowercased, without blanks or repeats."""
    phrases = (" ".join(part.split()).lower() for part in (value or "").split(","))
    return tuple(dict.fromkeys(phrase for phrase in phrases if phrase))


def plain_text(content):
    """The text of a template field: HTML tags and QWeb/inline expressions left out."""
    text = str(content or "")
    if isinstance(content, Markup) or "<" in text:
        text = re.sub(r"<[^>]*>", " ", text)
    return " ".join(re.sub(r"\{\{.*?\}\}", " ", text).split()).lower()


def find_threatening_phrases(contents, phrases):
    """The phrases found in any of ``contents`` (strings or Markup), in list order.

    Case- and whitespace-insensitive; a phrase matches at the start of a word, so that
    "arrest" finds "arrested" but "sue you" does not find "issue you".
    """
    text = " ".join(plain_text(content) for content in contents)
    return [
        phrase
        for phrase in phrases
        if re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())), text)
    ]
