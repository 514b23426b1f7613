"""How many SMS a text takes (3GPP TS 23.038): GSM-7 when every character is in the GSM
alphabet (those of the extension table take two), else UCS-2; a text longer than one
message is split into parts with a header that takes room of its own."""

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"

# (one message, each part of a longer one), in characters of the encoding.
LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    @property
    def limit(self):
        """The room of one message in this encoding."""
        return LIMITS[self.encoding][0]


def sms_length(text):
    """The encoding, length and number of messages of ``text``."""
    text = text or ""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        encoding = "GSM-7"
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    else:
        encoding = "UCS-2"
        units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
    single, part = LIMITS[encoding]
    segments = 0 if not units else 1 if units <= single else -(-units // part)
    return SmsLength(encoding, units, segments)
