import re
from datetime import date

import polib
from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools.misc import file_path

from ..tools.sms import sms_length
from .common import DunningRunCommon

# The languages the module ships (i18n/*.po).
SHIPPED_LANGS = ("en_US", "fr_FR", "de_DE", "es_ES", "pt_BR")
# A real customer's id has five or six digits, the test's fewer: the room they take.
ID_DIGITS = 6


def _stale_translation(template, lang):
    """Why the shipped translation of ``template``'s body cannot be judged yet: its
    i18n/<lang>.po entry translates another English text (Odoo loads it by the record's
    xml id all the same) until the translations are regenerated; else None."""
    if lang == "en_US":
        return None
    xmlid = template.get_external_id()[template.id]
    name = lang if lang == "pt_BR" else lang[:2]
    path = file_path(f"account_dunning/i18n/{name}.po")
    source = template.with_context(lang="en_US").body
    for entry in polib.pofile(path):
        places = {where for where, _line in entry.occurrences}
        if f"model:sms.template,body:{xmlid}" in places and entry.msgid != source and entry.msgstr:
            return f"i18n/{name}.po translates an older text of {xmlid}"
    return None


@tagged("post_install", "-at_install")
@freeze_time("2026-03-07 10:00:00")
class TestSmsTemplates(DunningRunCommon):
    """The default reminder SMS take one SMS each (160 GSM-7 characters), rendered with
    realistic values, in every language the module ships."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = [lang for lang in SHIPPED_LANGS if lang != "en_US"]
        for lang in langs:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(["account_dunning"], langs, overwrite=True)
        cls.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", "https://northwind-traders.example.com"
        )
        cls.company.name = "Northwind Traders Ltd"
        cls.ap_contact.phone = "+32 470 12 34 56"
        with freeze_time("2026-02-08"):
            cls.invoice = cls._dunning_invoice(12450.0, "2026-03-10", invoice_date=date(2026, 2, 8))

    def _event(self, level):
        return self.env["dunning.engine"]._log(
            {
                "date": date(2026, 3, 7),
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "contact_id": self.ap_contact.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "level_id": level.id,
                "channel": "sms",
            }
        )

    def test_default_sms_fit_one_sms_in_every_shipped_language(self):
        templates = self.levels.sms_template_id
        self.assertEqual(len(templates), 6, "the default ladder's SMS")
        events = {template: self._event(level) for level in self.levels
                  for template in level.sms_template_id}  # fmt: skip
        room = ID_DIGITS - len(str(self.ap_contact.id))
        for lang in SHIPPED_LANGS:
            self.ap_contact.lang = lang
            for template, event in events.items():
                body = event._dunning_sms_body(template)
                with self.subTest(lang=lang, template=template.name):
                    stale = _stale_translation(template, lang)
                    if stale:
                        self.skipTest(stale)
                    length = sms_length(body)
                    self.assertEqual(length.encoding, "GSM-7", body)
                    self.assertLessEqual(length.units + room, 160, body)
                    # One link: the contact's SMS page, to pay or to stop the SMS.
                    self.assertEqual(body.count("https://"), 1, body)
                    self.assertIn(event._get_sms_opt_out_url(), body)
                    self.assertIn("1245000", re.sub(r"\D", "", body), "the amount")

    def test_the_amount_has_no_no_break_space(self):
        event = self._event(self.levels[2])
        for lang in SHIPPED_LANGS:
            self.ap_contact.lang = lang
            amount = event.with_context(lang=lang)._get_sms_amount()
            self.assertNotIn("\xa0", amount)
            self.assertNotIn("\u202f", amount)
            self.assertEqual(sms_length(amount).encoding, "GSM-7", amount)
