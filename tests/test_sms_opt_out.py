import re

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from ..tools.sms import sms_length
from .common import DunningRunCommon

PATH = "/dunning/sms/%s/%s/%s"
# The path of the SMS sent before the link's page listed the invoices: still opens it.
OLD_PATH = "/dunning/sms_stop/%s/%s/%s"


@tagged("post_install", "-at_install")
class TestSmsOptOut(DunningRunCommon, HttpCase):
    """Every reminder SMS ends with a signed opt-out link that puts the number on Odoo's
    phone blacklist; the SMS step never sends to a blacklisted number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level = cls.levels[2]  # +7: email, and SMS once ticked
        cls.level.send_sms = True
        cls.ap_contact.phone = "+32 470 12 34 56"
        cls.number = "+32470123456"

    def _late_invoice(self):
        with freeze_time("2026-01-01"):
            return self._dunning_invoice(250.0, "2026-01-01")

    def _sms(self):
        return self.env["sms.sms"].sudo().search([("partner_id", "=", self.ap_contact.id)])

    def test_sms_ends_with_the_opt_out_link(self):
        self._late_invoice()
        with freeze_time("2026-01-09 10:00:00"):
            self._run()
        sms = self._sms()
        self.assertEqual(len(sms), 1)
        url = self.ap_contact._dunning_sms_opt_out_url(self.company)
        token = self.ap_contact._dunning_link_token("sms_stop", self.company)
        self.assertEqual(len(token), 16)
        self.assertTrue(url.endswith(PATH % (self.ap_contact.id, self.company.id, token)))
        self.assertTrue(sms.body.endswith(f"Pay or stop SMS: {url}"), sms.body)
        self.assertEqual(sms.body.count(url), 1)
        self.assertEqual(sms_length(sms.body).segments, 1)

    def test_template_form_shows_the_length_as_sent(self):
        template = self.level.sms_template_id
        self.assertFalse(template.dunning_rendered_length)  # nothing to render it on yet
        self._late_invoice()
        with freeze_time("2026-01-09 10:00:00"):
            self._run()
        sent = self._sms().body
        template.invalidate_recordset(["dunning_rendered_length"])
        length = sms_length(sent)
        self.assertEqual(
            template.dunning_rendered_length.split(" of ")[0],
            f"{length.segments} SMS: {length.units}",
        )
        self.assertIn(
            f"of {length.limit} characters ({length.encoding})", template.dunning_rendered_length
        )
        other = self.env["sms.template"].create(
            {"name": "Other", "model_id": self.env["ir.model"]._get_id("res.partner"), "body": "Hi"}
        )
        self.assertFalse(other.dunning_rendered_length)

    def test_sms_opt_out_link_in_the_contact_language(self):
        """A translated body without the link gets it, in the same language."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.level.sms_template_id.with_context(
            lang="fr_FR"
        ).body = "{{ object.company_id.name }} : règlement en attente, payer en ligne."
        self.ap_contact.lang = "fr_FR"
        self._late_invoice()
        with freeze_time("2026-01-09 10:00:00"):
            self._run()
        sms = self._sms()
        url = self.ap_contact._dunning_sms_opt_out_url(self.company)
        self.assertIn("payer en ligne", sms.body)
        self.assertTrue(sms.body.endswith(f"Ne plus recevoir ces SMS : {url}"), sms.body)
        self.assertEqual(sms.body.count(url), 1)

    def test_blacklisted_number_gets_no_sms_ladder_goes_on(self):
        self.env["phone.blacklist"].sudo().create({"number": self.number})
        invoice = self._late_invoice()
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        self.assertFalse(self._sms())
        events = run.line_ids.event_ids
        sms_event = events.filtered(lambda e: e.channel == "sms")
        self.assertEqual(sms_event.state, "skipped")
        self.assertIn(self.number, sms_event.reason)
        self.assertIn("no more SMS", sms_event.reason)
        # The email of the level went, and the invoice climbed.
        self.assertEqual(events.filtered(lambda e: e.channel == "email").state, "done")
        self.assertEqual(len(self._mails()), 1)
        self.assertEqual(run.line_ids.state, "done")
        self.assertEqual(invoice.dunning_level_id, self.level)

    def test_blacklisted_number_sms_only_level_still_taken(self):
        self.level.send_email = False
        self.env["phone.blacklist"].sudo().create({"number": self.number})
        invoice = self._late_invoice()
        with freeze_time("2026-01-09 10:00:00"):
            run = self._run()
        self.assertFalse(self._sms())
        self.assertEqual(run.line_ids.event_ids.state, "skipped")
        self.assertEqual(run.line_ids.state, "done")
        self.assertEqual(invoice.dunning_level_id, self.level, "the step counts as taken")

    def _csrf(self, response):
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, "the page has a form with its CSRF token")
        return match.group(1)

    def _blacklisted(self):
        return self.env["phone.blacklist"].sudo().search([("number", "=", self.number)])

    def test_sms_opt_out_route(self):
        contact = self.ap_contact
        token = contact._dunning_link_token("sms_stop", self.company)
        good = PATH % (contact.id, self.company.id, token)
        number = contact.phone
        contact.phone = "+32 470 00 00 00"
        other_number_token = contact._dunning_link_token("sms_stop", self.company)
        contact.phone = number
        invoice = self._late_invoice()
        # Opening the link (a phone previewing it) shows what to pay and only asks.
        response = self.url_open(good)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Stop SMS reminders?", response.text)
        self.assertIn(self.number, response.text)
        self.assertIn(invoice.name, response.text)
        self.assertIn(f"/my/invoices/{invoice.id}?access_token=", response.text)
        old = self.url_open(OLD_PATH % (contact.id, self.company.id, token))
        self.assertEqual(old.status_code, 200, "the links of SMS already sent still work")
        self.assertIn("Stop SMS reminders?", old.text)
        csrf = self._csrf(response)
        self.assertFalse(self._blacklisted())
        # Forged tokens, another person's token, another company, a token signed for
        # another number: nothing changes, by GET or POST.
        other = self.env["res.partner"].create(
            {"name": "Someone Else", "phone": "+32 470 99 99 99"}
        )
        others_token = other._dunning_link_token("sms_stop", self.company)
        forged = (
            PATH % (contact.id, self.company.id, "0" * len(token)),
            PATH % (contact.id, self.company.id, others_token),
            PATH % (other.id, self.company.id, token),
            PATH % (contact.id, self.env["res.company"].create({"name": "Other Co"}).id, token),
            PATH % (contact.id, self.company.id, other_number_token),
        )  # fmt: skip
        for url in forged:
            self.assertEqual(self.url_open(url).status_code, 404, url)
            self.assertEqual(self.url_open(url, data={"csrf_token": csrf}).status_code, 404, url)
        self.assertFalse(self._blacklisted())
        self.assertFalse(self.env["dunning.event"].search([("partner_id", "=", self.customer.id)]))
        # The button: blacklisted, logged, confirmed.
        response = self.url_open(good, data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.assertIn("SMS reminders stopped", response.text)
        self.assertTrue(self._blacklisted())
        events = self.env["dunning.event"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(events), 1)
        self.assertEqual((events.channel, events.contact_id, events.company_id),
                         ("note", contact, self.company))  # fmt: skip
        self.assertIn(self.number, events.reason)
        # A second click changes nothing more.
        self.url_open(good, data={"csrf_token": csrf})
        self.assertEqual(
            self.env["dunning.event"].search_count([("partner_id", "=", self.customer.id)]), 1
        )
        # A new number: the old link no longer works.
        contact.phone = "+32 470 11 11 11"
        self.assertEqual(self.url_open(good).status_code, 404)

    def test_sms_opt_out_page_escapes(self):
        self.ap_contact.name = '<script>alert("x")</script>'
        self.company.name = "<b>Co</b>"
        token = self.ap_contact._dunning_link_token("sms_stop", self.company)
        response = self.url_open(PATH % (self.ap_contact.id, self.company.id, token))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("<b>Co</b>", response.text)
        self.assertIn("&lt;b&gt;Co&lt;/b&gt;", response.text)
