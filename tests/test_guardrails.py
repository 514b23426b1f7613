import ast
import re
from datetime import date, datetime
from unittest.mock import patch
from urllib.parse import urlsplit

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from ..tools.template_check import (
    DEFAULT_PHRASES,
    DEFAULT_PHRASES_BY_LANG,
    find_threatening_phrases,
    parse_phrases,
)
from .common import DunningRunCommon

LANGS = ["en_US", "fr_FR", "de_DE", "es_ES", "pt_BR"]
STOP_LINK = {
    "en_US": "Stop reminder emails",
    "fr_FR": "Ne plus recevoir de relances par e-mail",
    "de_DE": "Erinnerungs-E-Mails abbestellen",
    "es_ES": "Dejar de recibir recordatorios por correo",
    "pt_BR": "Parar de receber lembretes por e-mail",
}


def _text(html):
    return " ".join(str(html or "").split())


class GuardrailsCommon(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.write(
            {"tz": "Europe/Brussels", "street": "Rue de la Loi 16", "city": "Brussels"}
        )
        cls.policy.write({"contact_hour_start": 8.0, "contact_hour_end": 20.0})
        cls.consumer = cls.env["res.partner"].create(
            {
                "name": "Camille Consumer",
                "email": "camille@home.example.com",
                "tz": "America/New_York",
                "phone": "+1 202 555 0143",
            }
        )
        cls.consumer.with_company(cls.company).dunning_collector_id = cls.collector

    def _event_mails(self, partner):
        return self._mails(partner)


@tagged("post_install", "-at_install")
class TestGuardrailContactHours(GuardrailsCommon):
    """Emails and SMS wait for the contact window in the customer's time zone."""

    @freeze_time("2026-03-11 05:00:00")  # 06:00 Brussels, 01:00 New York, 10:30 Kolkata
    def test_guardrail_email_waits_for_the_window_in_the_contact_tz(self):
        self.ap_contact.tz = "Europe/Paris"
        self._dunning_invoice(100.0, "2026-03-01")  # Acme, contact in Paris
        self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)  # New York
        india = self.env["res.partner"].create(
            {"name": "Kolkata Traders", "is_company": True, "email": "ap@kolkata.example.com",
             "tz": "Asia/Kolkata"}
        )  # fmt: skip
        self._dunning_invoice(100.0, "2026-03-01", partner=india)
        run = self._run()
        self.assertEqual(run.state, "done", "the run is not deferred")
        # 08:00 in Paris (UTC+1 in March) = 07:00 UTC.
        self.assertEqual(self._mails().scheduled_date, datetime(2026, 3, 11, 7, 0))
        # 08:00 in New York (UTC-4 since 8 March) = 12:00 UTC.
        self.assertEqual(self._mails(self.consumer).scheduled_date, datetime(2026, 3, 11, 12, 0))
        # 10:30 in Kolkata: inside the window, sent now.
        self.assertFalse(self._mails(india).scheduled_date)
        # Odoo's mail queue runs when the first held message may go.
        triggers = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("mail.ir_cron_mail_scheduler_action").id)]
        )
        self.assertIn(datetime(2026, 3, 11, 7, 0), triggers.mapped("call_at"))

    @freeze_time("2026-03-11 21:30:00")  # 22:30 Brussels; 17:30 New York
    def test_guardrail_time_zone_fallbacks(self):
        self.ap_contact.tz = False
        self.customer.tz = False
        # No tz on the contact nor the customer: the company's (Brussels, closed).
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)
        self._run()
        self.assertEqual(self._mails().scheduled_date, datetime(2026, 3, 12, 7, 0))
        self.assertFalse(self._mails(self.consumer).scheduled_date)  # 16:30 in New York
        # The customer's tz when its contact has none.
        engine = self.env["dunning.engine"]
        self.customer.tz = "America/Los_Angeles"  # 14:30 there: open
        self.assertIsNone(engine._dunning_contact_time(self.ap_contact, self.policy, self.company))
        # Nobody has a tz: UTC (21:30, closed until 08:00 UTC).
        self.customer.tz = False
        self.company.partner_id.tz = False
        self.assertEqual(
            engine._dunning_contact_time(self.ap_contact, self.policy, self.company),
            datetime(2026, 3, 12, 8, 0),
        )

    @freeze_time("2026-03-11 03:00:00")  # 23:00 in New York
    def test_guardrail_sms_held_until_the_window_opens(self):
        """Odoo's own scheduled notification (_message_sms with scheduled_date): no SMS
        in the queue before the window opens, Odoo's cron creates it after."""
        level = self.levels[2]
        level.send_sms = True
        self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)
        # Odoo compares a scheduled date with the transaction's time (cr.now()).
        with patch.object(self.env.cr, "now", lambda: datetime(2026, 3, 11, 3, 0)):
            run = self._run()
        event = run.event_ids.filtered(lambda e: e.channel == "sms")
        self.assertEqual(event.state, "done")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.consumer.id)]))
        schedule = self.env["mail.message.schedule"].search(
            [("mail_message_id", "=", event.message_id.id)]
        )
        self.assertEqual(schedule.scheduled_datetime, datetime(2026, 3, 11, 12, 0))
        Schedule = self.env["mail.message.schedule"]
        Schedule._send_notifications_cron()
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.consumer.id)]))
        with freeze_time("2026-03-11 12:00:01"):
            Schedule._send_notifications_cron()
        sms = self.env["sms.sms"].search([("partner_id", "=", self.consumer.id)])
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(sms.mail_message_id, event.message_id)

    @freeze_time("2026-03-14 15:00:00")  # a Saturday; 11:00 in New York (EDT)
    def test_guardrail_call_on_a_working_day_with_local_time(self):
        level = self.levels[3]  # +15 days: email and call
        self.assertTrue(level.create_call)
        self._dunning_invoice(100.0, "2026-02-27", partner=self.consumer)
        self.env["account.move"].search([("partner_id", "=", self.consumer.id)])._dunning_set_level(
            self.levels[2].id, date(2026, 3, 6)
        )
        self._run()
        call = self._calls(self.consumer)
        self.assertEqual(len(call), 1)
        self.assertEqual(call.date_deadline, date(2026, 3, 16), "the Monday after")
        note = _text(call.note)
        self.assertIn("Local time of the customer:", note)
        self.assertIn("11:00 (window 08:00-20:00, America/New_York)", note)

    def test_guardrail_contact_hours_constraint(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.policy.write({"contact_hour_start": 20.0, "contact_hour_end": 8.0})


@tagged("post_install", "-at_install")
class TestGuardrailEmailCap(GuardrailsCommon):
    """At most one reminder email per customer in N days; 'Send reminder now' is exempt."""

    def test_guardrail_email_cap_skips_then_takes_the_step(self):
        self.policy.write({"email_min_days": 5, "min_days_between_steps": 0})
        with freeze_time("2026-03-10 10:00:00"):
            invoice = self._dunning_invoice(100.0, "2026-03-01")
            self.customer.action_dunning_send_now()  # a person: exempt, sent
            self.assertEqual(len(self._mails()), 1)
            self.customer.action_dunning_send_now()  # again: still exempt
            self.assertEqual(len(self._mails()), 2)
        # A new invoice due on 16 March takes its heads-up from the 13th: the email is
        # capped until 15 March (10 March + 5 days), and taken that day.
        with freeze_time("2026-03-14 10:00:00"):
            self._dunning_invoice(50.0, "2026-03-16", invoice_date=date(2026, 3, 13))
            run = self._run()
            line = run.line_ids
            self.assertEqual(line.state, "skipped")
            self.assertEqual(line.skip_reason, "email_cap")
            self.assertIn("last reminder email on 03/10/2026", line.note)
            self.assertIn("taken on 03/15/2026", line.note)
            self.assertEqual(len(self._mails()), 2)
        with freeze_time("2026-03-15 10:00:00"):
            run = self._run()
            self.assertEqual(run.line_ids.state, "done")
            self.assertEqual(len(self._mails()), 3)
        self.assertTrue(invoice.dunning_level_id)


@tagged("post_install", "-at_install")
class TestGuardrailOptOut(GuardrailsCommon):
    """Opted-out customers and contacts get no reminder email; the ladder goes on."""

    @freeze_time("2026-03-11 10:00:00")
    def test_guardrail_opt_out_contact_no_email_invoices_climb(self):
        self.ap_contact.dunning_email_opt_out = True
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        run = self._run()
        self.assertFalse(self._mails())
        line = run.line_ids
        self.assertEqual(line.state, "done")
        event = line.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "skipped")
        self.assertEqual(event.reason, "Email not sent: opted out of reminder emails.")
        self.assertEqual(invoice.dunning_level_id, line.level_id, "the step counts as taken")
        # No "Fix contact" task: the address is fine, the person said no.
        tasks = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertFalse(tasks.filtered(lambda a: "Fix contact" in (a.summary or "")))

    @freeze_time("2026-03-11 10:00:00")
    def test_guardrail_opt_out_customer_letter_and_call_go_on(self):
        self.customer.dunning_email_opt_out = True
        level = self.levels[4]  # +30: letter + email + call
        self.assertTrue(level.send_letter and level.create_call and level.send_email)
        self._dunning_invoice(100.0, "2026-02-09")
        self.env["account.move"].search([("partner_id", "=", self.customer.id)])._dunning_set_level(
            self.levels[3].id, date(2026, 2, 24)
        )
        run = self._run()
        self.assertFalse(self._mails())
        events = run.line_ids.event_ids
        self.assertEqual(
            {(e.channel, e.state) for e in events},
            {("letter", "done"), ("call", "done"), ("email", "skipped")},
        )
        # The letter is left in the chatter to print and post, not attached to an email.
        messages = self.customer.message_ids.filtered(
            lambda m: "Dunning letter to print" in (m.body or "")
        )
        self.assertEqual(len(messages), 1)

    @freeze_time("2026-03-11 10:00:00")
    def test_guardrail_consumer_work_address_not_used(self):
        self.consumer.dunning_email_is_workplace = True
        business = self.env["res.partner"].create(
            {"name": "Work Co", "is_company": True, "email": "ap@work.example.com",
             "dunning_email_is_workplace": True}
        )  # fmt: skip
        self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)
        self._dunning_invoice(100.0, "2026-03-01", partner=business)
        run = self._run()
        self.assertFalse(self._mails(self.consumer))
        self.assertEqual(len(self._mails(business)), 1, "a business address is fine")
        event = run.line_ids.filtered(lambda line: line.partner_id == self.consumer).event_ids
        self.assertIn("is a work address", event.reason)


@tagged("post_install", "-at_install")
class TestGuardrailOptOutLink(GuardrailsCommon, HttpCase):
    """Consumers get a one-click opt-out link; a wrong token changes nothing."""

    @freeze_time("2026-03-11 15:00:00")
    def test_guardrail_opt_out_link_only_for_consumers(self):
        self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)
        self._dunning_invoice(100.0, "2026-03-01")
        self._run()
        consumer_body = _text(self._mails(self.consumer).body_html)
        url = self.consumer._dunning_opt_out_url(self.company)
        self.assertIn("Stop reminder emails", consumer_body)
        self.assertIn(url.replace("&", "&amp;"), consumer_body)
        business_body = _text(self._mails().body_html)
        self.assertNotIn("Stop reminder emails", business_body)
        self.assertNotIn("/dunning/email_opt_out/", business_body)

    def test_guardrail_opt_out_route(self):
        path = "/dunning/email_opt_out/%s/%s/%s"
        token = self.consumer._dunning_link_token("email_opt_out", self.company)
        other = self.env["res.partner"].create({"name": "Someone Else"})
        # A forged token, another partner's token, another company: nothing changes.
        for url in (
            path % (self.consumer.id, self.company.id, "0" * len(token)),
            path
            % (self.consumer.id, self.company.id,
               other._dunning_link_token("email_opt_out", self.company)),
            path % (other.id, self.company.id, token),
            path
            % (self.consumer.id, self.env["res.company"].create({"name": "Other Co"}).id, token),
            path % (999999999, self.company.id, token),
        ):  # fmt: skip
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
        self.assertFalse(self.consumer.dunning_email_opt_out)
        self.assertFalse(other.dunning_email_opt_out)
        good = path % (self.consumer.id, self.company.id, token)
        # Opening the link (a mail scanner, a link preview) only asks: nothing changes.
        response = self.url_open(good)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Stop reminder emails?", response.text)
        self.assertFalse(self.consumer.dunning_email_opt_out)
        # A POST without the page's CSRF token nor a one-click body is refused.
        self.assertEqual(self.url_open(good, data={"x": "1"}).status_code, 400)
        self.assertFalse(self.consumer.dunning_email_opt_out)
        # The page's button: flag set, logged, confirmation page.
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
        response = self.url_open(good, data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Reminder emails stopped", response.text)
        self.assertIn("camille@home.example.com", response.text)
        self.assertTrue(self.consumer.dunning_email_opt_out)
        events = self.env["dunning.event"].search([("partner_id", "=", self.consumer.id)])
        self.assertEqual(len(events), 1)
        self.assertEqual((events.channel, events.company_id), ("note", self.company))
        # A second click changes nothing more.
        self.url_open(good, data={"csrf_token": csrf})
        self.assertEqual(
            self.env["dunning.event"].search_count([("partner_id", "=", self.consumer.id)]), 1
        )

    def test_guardrail_one_click_unsubscribe_header(self):
        """A consumer's reminder carries List-Unsubscribe and List-Unsubscribe-Post
        (RFC 8058); the mail client's one-click POST stops the emails."""
        with freeze_time("2026-03-11 15:00:00"):
            self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)
            self._dunning_invoice(100.0, "2026-03-01")
            self._run()
        headers = ast.literal_eval(self._mails(self.consumer).headers)
        url = self.consumer._dunning_opt_out_url(self.company)
        self.assertEqual(headers["List-Unsubscribe"], f"<{url}>")
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertFalse(self._mails().headers, "a business gets no unsubscribe header")
        self.env.flush_all()
        response = self.url_open(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.consumer.dunning_email_opt_out)

    def test_guardrail_opt_out_page_escapes(self):
        self.consumer.name = '<script>alert("x")</script>'
        self.consumer.email = False
        token = self.consumer._dunning_link_token("email_opt_out", self.company)
        response = self.url_open(
            f"/dunning/email_opt_out/{self.consumer.id}/{self.company.id}/{token}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotIn('<script>alert("x")</script>', response.text)
        self.assertIn("&lt;script&gt;", response.text)


@tagged("post_install", "-at_install")
class TestGuardrailTemplates(GuardrailsCommon):
    """Threatening phrases warn; every default template shows the company's identity."""

    def test_guardrail_find_threatening_phrases(self):
        phrases = parse_phrases(DEFAULT_PHRASES)
        self.assertEqual(
            len(phrases), len(parse_phrases(", ".join(DEFAULT_PHRASES_BY_LANG.values())))
        )
        self.assertIn("sue you", phrases)
        self.assertEqual(
            find_threatening_phrases(
                ["<p>We will <b>SUE you</b>; you may be arrested.</p>"], phrases
            ),
            ["sue you", "arrest"],
        )
        self.assertEqual(find_threatening_phrases(["We issue you a credit note."], phrases), [])
        self.assertEqual(parse_phrases(" Jail ,, jail,police "), ("jail", "police"))

    def test_guardrail_template_warning_does_not_block(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "account_dunning.threatening_phrases", "bailiff, sue you"
        )
        template = self.env.ref("account_dunning.mail_template_dunning_final")
        with self.assertLogs(
            "odoo.addons.account_dunning.models.dunning_template_check", "WARNING"
        ):
            template.body_html = "<p>Pay or our bailiff comes.</p>"
        self.assertEqual(template.body_html, "<p>Pay or our bailiff comes.</p>", "saved")
        warning = template._onchange_dunning_threats()["warning"]
        self.assertIn('"bailiff"', warning["message"])
        sms = self.env.ref("account_dunning.sms_template_dunning_final")
        sms.body = "We will sue you."
        self.assertIn('"sue you"', sms._onchange_dunning_threats()["warning"]["message"])
        # Templates of other models are not collections messages.
        other = self.env["mail.template"].create(
            {
                "name": "Not collections",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "body_html": "<p>Pay or our bailiff comes.</p>",
            }
        )
        self.assertFalse(other._onchange_dunning_threats())

    def test_guardrail_threatening_phrases_every_language(self):
        """The shipped list warns about threats in each language of the module."""
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param("account_dunning.threatening_phrases"),
            DEFAULT_PHRASES,
            "the shipped parameter is the default list",
        )
        samples = {
            "fr_FR": ("<p>Sans paiement, notre <b>huissier</b> passera.</p>", "huissier"),
            "de_DE": ("<p>Andernfalls droht die Pfändung Ihres Kontos.</p>", "pfändung"),
            "es_ES": ("<p>Si no paga, procederemos a embargar su cuenta.</p>", "embargar"),
            "pt_BR": ("<p>Caso contrário, seu nome sujo ficará na praça.</p>", "nome sujo"),
        }
        for lang, (body, phrase) in samples.items():
            with self.subTest(lang=lang):
                with self.assertLogs(
                    "odoo.addons.account_dunning.models.dunning_template_check", "WARNING"
                ):
                    template = self.env["mail.template"].create(
                        {
                            "name": f"Threat {lang}",
                            "model_id": self.env["ir.model"]._get_id("dunning.event"),
                            "lang": lang,
                            "subject": "Rappel",
                            "body_html": body,
                        }
                    )
                warning = template._onchange_dunning_threats()["warning"]
                self.assertIn(f'"{phrase}"', warning["message"])
                sms = self.env["sms.template"].create(
                    {
                        "name": f"Threat SMS {lang}",
                        "model_id": self.env["ir.model"]._get_id("dunning.event"),
                        "body": body,
                    }
                )
                self.assertIn(f'"{phrase}"', sms._onchange_dunning_threats()["warning"]["message"])
        # Our own neutral wording in those languages does not warn.
        neutral = self.env["mail.template"].create(
            {
                "name": "Neutral",
                "model_id": self.env["ir.model"]._get_id("dunning.event"),
                "body_html": "<p>Sin embargo, nous transmettrons le dossier à notre service de "
                "recouvrement, einem Inkassounternehmen, uma empresa de cobrança.</p>",
            }
        )
        self.assertFalse(neutral._onchange_dunning_threats())

    @freeze_time("2026-03-11 10:00:00")
    def test_guardrail_default_templates_legal_identity_every_language(self):
        self.company.write({"street": "Rue de la Loi 16", "city": "Brussels", "zip": "1000"})
        for code in LANGS:
            self.env["res.lang"]._activate_lang(code)
        self.env["ir.module.module"]._load_module_terms(["account_dunning"], LANGS, overwrite=True)
        phrases = parse_phrases(DEFAULT_PHRASES)
        invoice = self._dunning_invoice(100.0, "2026-03-01", partner=self.consumer)
        mail_templates = self.env["mail.template"].search(
            [("model", "=", "dunning.event"), ("id", "in", self._module_records("mail.template"))]
        )
        sms_templates = self.env["sms.template"].search(
            [("model", "=", "dunning.event"), ("id", "in", self._module_records("sms.template"))]
        )
        self.assertGreaterEqual(len(mail_templates), 7)
        self.assertGreaterEqual(len(sms_templates), 6)
        for code in LANGS:
            self.consumer.lang = code
            event = self.env["dunning.engine"]._log(
                {
                    "partner_id": self.consumer.id,
                    "contact_id": self.consumer.id,
                    "company_id": self.company.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "level_id": self.levels[2].id,
                    "channel": "email",
                }
            )
            # Not collection messages (a thank-you, a confirmation of what the customer
            # told us): no opt-out link.
            answers = self.env["mail.template"].browse(
                self.env.ref(f"account_dunning.mail_template_dunning_{name}").id
                for name in ("thank_you", "promise_confirmation", "dispute_confirmation")
            )
            for template in mail_templates:
                with self.subTest(lang=code, template=template.name):
                    values = template._generate_template(event.ids, ("subject", "body_html"))
                    body = _text(values[event.id]["body_html"])
                    self.assertIn(self.company.name, body)
                    self.assertIn("Rue de la Loi 16", body)
                    self.assertIn("BE0477472701", body)
                    if template not in answers:
                        self.assertIn("/dunning/email_opt_out/", body, "consumer: opt-out link")
                        self.assertIn(STOP_LINK[code], body)
                    text = values[event.id]["subject"] + " " + body
                    self.assertFalse(find_threatening_phrases([text], phrases))
            for template in sms_templates:
                with self.subTest(lang=code, template=template.name):
                    body = template._render_field("body", event.ids, compute_lang=True)[event.id]
                    # An SMS names the company; its address and tax id are on the page
                    # it links to (160 characters do not hold them).
                    self.assertIn(self.company.name, body)
                    self.assertFalse(find_threatening_phrases([body], phrases))

    def _module_records(self, model):
        return (
            self.env["ir.model.data"]
            .search([("module", "=", "account_dunning"), ("model", "=", model)])
            .mapped("res_id")
        )
