"""Threatening phrases in a message template (no ORM).

Regulation F 1006.18 forbids threatening an action that is not intended; Brazil's CDC
(art. 71) forbids threats outright. Saving a template that contains a phrase of the
configurable list warns the manager; it does not block (a phrase may be legitimate in
context, e.g. a real, intended transfer to an agency).
"""

import re

from markupsafe import Markup

DEFAULT_PHRASES = (
    "sue you, arrest, jail, police, seize, garnish, ruin your credit, last warning before court"
)


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
