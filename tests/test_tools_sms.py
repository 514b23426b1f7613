"""Plain pytest + hypothesis: how many SMS a text takes."""

from hypothesis import given
from hypothesis import strategies as st

from ..tools.sms import GSM7_BASIC, GSM7_EXTENSION, sms_length
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case


def test_gsm7_single_and_concatenated():
    assert sms_length("a" * 160) == sms_length("b" * 160)
    assert (sms_length("a" * 160).encoding, sms_length("a" * 160).segments) == ("GSM-7", 1)
    assert sms_length("a" * 161).segments == 2
    assert sms_length("a" * 306).segments == 2  # 2 x 153
    assert sms_length("a" * 307).segments == 3


def test_extension_characters_take_two():
    assert sms_length("€" * 80).units == 160
    assert sms_length("€" * 80).segments == 1
    assert sms_length("€" * 81).segments == 2


def test_one_character_outside_gsm_switches_to_ucs2():
    text = "Paiement reçu" + "a" * 60  # ç is not GSM-7 (Ç is)
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == ("UCS-2", 73, 2)
    assert sms_length("ç" * 70).segments == 1
    assert sms_length("ç" * 134).segments == 2  # 2 x 67
    assert sms_length("ç" * 135).segments == 3


def test_characters_beyond_the_bmp_take_two_code_units():
    assert sms_length("😀" * 35).units == 70
    assert sms_length("😀" * 36).segments == 2


def test_empty():
    assert sms_length("").segments == 0


@given(st.text(alphabet=GSM7_BASIC + GSM7_EXTENSION, max_size=800))
def test_gsm7_segments_hold_the_text(text):
    length = sms_length(text)
    assert length.encoding == "GSM-7"
    single, part = 160, 153
    assert length.units >= len(text)
    room = single if length.segments == 1 else part * length.segments
    assert length.units <= room
    if length.segments > 1:  # one part fewer would not do
        previous = single if length.segments == 2 else part * (length.segments - 1)
        assert length.units > previous


@given(st.text(max_size=400))
def test_any_text_fits_its_segments(text):
    length = sms_length(text)
    single, part = (160, 153) if length.encoding == "GSM-7" else (70, 67)
    assert length.units <= (single if length.segments <= 1 else part * length.segments)
    assert (length.segments == 0) == (text == "")


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
