"""Every message a customer receives goes through one gateway (dunning.engine._deliver),
and the gateway's rules hold on every path: opt-out, contact hours, one message per
customer and day (a person's send overrides it, logged), one event per message that
fails when Odoo cannot deliver it.

The paths are a table (PATHS); each rule is a test generated per path, so a new path is
one row and one method, and a path that bypasses the gateway fails every rule."""

from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.mail.tests.common import MockEmail
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon

# 13:00 in Paris (UTC+1 in March): inside the contact hours (8-20).
OPEN_HOURS = "2026-03-20 12:00:00"
# 05:00 in Paris: the messages wait for 08:00 Paris, 07:00 UTC.
BEFORE_HOURS = "2026-03-20 04:00:00"
WINDOW_OPENS = datetime(2026, 3, 20, 7, 0)

# path: whether a person (or the customer) asked for the message, so that it goes even
# when the customer already heard from us today (logged on the event).
PATHS = {
    "ladder": False,
    "send_now": True,
    "send_print": True,
    "statement_by_hand": True,
    "statement_monthly": False,
    "thank_you": False,
    "plan_agreement": True,
    "plan_reminder": False,
    "promise_confirmation": True,
    "dispute_confirmation": True,
    "self_service_promise": True,
    "self_service_dispute": True,
    "transfer_notice": True,
}


@tagged("post_install", "-at_install")
class TestGateway(DunningRunCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.ap_contact.tz = "Europe/Paris"
        cls.policy.write(
            {
                "contact_hour_start": 8.0,
                "contact_hour_end": 20.0,
                "portal_self_service": True,
                "confirm_holds": True,
                "send_thank_you": True,
            }
        )
        cls.agency = cls.env["res.partner"].create(
            {
                "name": "Fair Collect Ltd",
                "is_company": True,
                "email": "info@faircollect.example.com",
                "dunning_is_agency": True,
                "dunning_agency_commission": 15.0,
                "dunning_agency_email": "cases@faircollect.example.com",
            }
        )
        cls.reason = cls.env.ref("account_dunning.dispute_reason_price")
        with freeze_time("2026-03-01"):
            cls.invoice = cls._dunning_invoice(1000.0, "2026-03-01")

    # ------------------------------------------------------------------ paths

    def _path_ladder(self):
        self._run()

    def _path_send_now(self):
        self.customer.with_user(self.collector).action_dunning_send_now()

    def _path_send_print(self):
        action = self.customer.with_user(self.collector).action_dunning_send_print()
        wizard = (
            self.env["dunning.send.wizard"]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create({})
        )
        for line in wizard.channel_ids:
            line.selected = line.kind == "email"
        wizard.action_send()

    def _path_statement_by_hand(self):
        self.customer.with_user(self.collector).action_dunning_send_statement()

    def _path_statement_monthly(self):
        self.customer.with_company(self.company).dunning_statement_monthly = True
        with patch.object(self.registry["ir.cron"], "_commit_progress", return_value=1.0):
            # As the scheduled action runs: superuser (every company).
            self.env["res.partner"].with_user(
                self.env.ref("base.user_root")
            )._cron_send_monthly_statements()

    def _path_thank_you(self):
        self.invoice.dunning_level_id = self.levels[2]
        self.env["dunning.engine"]._log(
            {
                "date": date(2026, 3, 10),
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "channel": "email",
                "state": "done",
                "is_customer_message": True,
                "level_id": self.levels[2].id,
            }
        )
        self._dunning_pay(self.invoice, 1000.0, pay_date=date(2026, 3, 19))
        self._run()

    def _plan(self, **values):
        wizard = (
            self.env["dunning.payment.plan.wizard"]
            .with_user(self.collector)
            .with_context(active_model="account.move", active_ids=self.invoice.ids)
            .create(
                {
                    "installment_count": 2,
                    "interval": "monthly",
                    "first_date": date(2026, 3, 23),
                    "send_agreement": False,
                    **values,
                }
            )
        )
        return wizard.action_confirm()

    def _path_plan_agreement(self):
        self._plan(send_agreement=True)

    def _path_plan_reminder(self):
        with freeze_time("2026-03-16 12:00:00"):  # agreed some days ago
            self._plan(reminder_days_before=3)
        self.env["dunning.payment.plan"]._dunning_process_plans(date(2026, 3, 20))

    def _path_promise_confirmation(self):
        self.env["dunning.promise"].with_user(self.collector).create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "amount": 1000.0,
                "date_promised": date(2026, 3, 27),
            }
        )

    def _path_dispute_confirmation(self):
        self.env["dunning.dispute"].with_user(self.collector).create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "reason_id": self.reason.id,
                "date_expected": date(2026, 4, 3),
            }
        )

    def _as_visitor(self):
        """The contact on its self-service page: the public user, the company's env."""
        public = self.env.ref("base.public_user")
        # sudo: as the self-service controller does once the signed link is checked.
        return self.ap_contact.with_user(public).sudo().with_company(self.company)

    def _path_self_service_promise(self):
        self._as_visitor()._dunning_self_service_promise(
            [self.invoice.id], 1000.0, date(2026, 3, 27)
        )

    def _path_self_service_dispute(self):
        self._as_visitor()._dunning_self_service_dispute(
            self.invoice.id, self.reason.id, "The price is not the one quoted.", None, None
        )

    def _path_transfer_notice(self):
        self.invoice.dunning_level_id = self.levels.filtered(lambda lvl: lvl.tone == "final")
        wizard = (
            self.env["dunning.handoff.wizard"]
            .with_context(active_model="account.move", active_ids=self.invoice.ids)
            .create({"handoff_type": "agency", "agency_id": self.agency.id})
        )
        wizard.notify_customer = True
        wizard.action_confirm()

    # ---------------------------------------------------------------- helpers

    def _take(self, path):
        """Take ``path``; returns the events of the customer messages the gateway was
        asked to deliver (agency messages left aside)."""
        Engine = self.registry["dunning.engine"]
        deliver = Engine._deliver
        asked = []

        def spy(engine, requests):
            asked.extend(r["event"] for r in requests if r.get("customer"))
            return deliver(engine, requests)

        before = self.env["mail.mail"].search([]).ids
        with patch.object(Engine, "_deliver", spy):
            getattr(self, f"_path_{path}")()
        self.env.flush_all()
        events = self.env["dunning.event"].browse([event.id for event in asked])
        new_mails = self.env["mail.mail"].search(
            [("id", "not in", before), ("recipient_ids", "in", self.ap_contact.ids)]
        )
        return events, new_mails

    def _heard_today(self):
        """A message the customer got from us earlier today (another path)."""
        return self.env["dunning.engine"]._log(
            {
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "contact_id": self.ap_contact.id,
                "channel": "email",
                "state": "done",
                "is_customer_message": True,
                "reason": "Earlier today.",
            }
        )

    # ------------------------------------------------------------------ rules

    def _rule_one_event_per_message(self, path):
        with freeze_time(OPEN_HOURS):
            events, mails = self._take(path)
        self.assertEqual(len(events), 1, "one message, through the gateway")
        self.assertEqual(events.state, "done", events.reason)
        self.assertTrue(events.is_customer_message)
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.mail_message_id, events.message_id)
        self.assertFalse(mails.scheduled_date, "inside the contact hours: sent now")
        self.assertEqual(
            self.env["dunning.event"].search_count([("message_id", "=", mails.mail_message_id.id)]),
            1,
            "exactly one event per message",
        )
        with freeze_time(OPEN_HOURS), self.mock_mail_gateway():
            mails.sudo()._send()
        self.assertEqual(mails.state, "sent")
        notifications = self.env["mail.notification"].search([("mail_mail_id", "=", mails.id)])
        self.assertEqual(notifications.mapped("notification_status"), ["sent"])
        self.assertEqual(events.state, "done", "delivered: the event stays done")

    def _rule_opted_out_gets_nothing(self, path):
        self.ap_contact.dunning_email_opt_out = True
        with freeze_time(OPEN_HOURS):
            try:
                events, mails = self._take(path)
            except UserError as refused:  # a person's choice is refused, with why
                self.assertIn("opted out", str(refused))
                return
        self.assertFalse(mails, "no email to an opted-out contact")
        self.assertEqual(events.mapped("state"), ["skipped"])
        self.assertIn("opted out", events.reason)

    def _rule_waits_for_contact_hours(self, path):
        with freeze_time(BEFORE_HOURS):
            events, mails = self._take(path)
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.scheduled_date, WINDOW_OPENS)
        self.assertEqual(events.message_id, mails.mail_message_id)

    def _rule_one_message_a_day(self, path):
        with freeze_time(OPEN_HOURS):
            self._heard_today()
            events, mails = self._take(path)
        if PATHS[path]:
            self.assertEqual(len(mails), 1, "a person's send goes")
            self.assertEqual(events.state, "done")
            self.assertIn("already got a message from us today", events.reason)
        else:
            self.assertFalse(mails, "one message per customer and day")
            self.assertNotIn("done", events.mapped("state"))

    def _rule_failed_delivery_fails_the_event(self, path):
        self.ap_contact.email = "payables.acme.example.com"  # no @: Odoo cannot send it
        with freeze_time(OPEN_HOURS):
            events, mails = self._take(path)
            self.assertEqual(len(mails), 1)
            with self.mock_mail_gateway():
                mails.sudo()._send()
        self.assertEqual(mails.state, "exception")
        self.assertEqual(events.state, "failed")
        self.assertIn(self.ap_contact.name, events.reason)
        fix = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("summary", "ilike", "Fix contact"),
            ]
        )
        notes = self.env["mail.notification"].search(
            [("mail_message_id", "=", events.message_id.id)]
        )
        info = notes.read(["failure_type", "notification_status"]), events.reason
        self.assertEqual(len(fix), 1, f"the collector fixes the contact {info}")


RULES = [name.removeprefix("_rule_") for name in vars(TestGateway) if name.startswith("_rule_")]


def _make_test(rule, path):
    def test(self):
        getattr(self, f"_rule_{rule}")(path)

    test.__name__ = f"test_{rule}__{path}"
    test.__doc__ = f"{rule.replace('_', ' ')}: {path.replace('_', ' ')}"
    return test


for _rule in RULES:
    for _path in PATHS:
        setattr(TestGateway, f"test_{_rule}__{_path}", _make_test(_rule, _path))


@tagged("post_install", "-at_install")
class TestGatewayLanguages(DunningRunCommon, MockEmail):
    """A French customer, English staff: what the customer reads is French (messages,
    file names, the late-charge invoice), what staff read is English (history,
    activities, chatter notes, notifications), also when the customer acts online."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(
            ["account_dunning"], ["fr_FR"], overwrite=True
        )
        cls.company.partner_id.lang = "en_US"
        cls.collector.lang = "en_US"
        (cls.customer | cls.ap_contact).lang = "fr_FR"
        cls.policy.write(
            {
                "portal_self_service": True,
                "confirm_holds": True,
                "late_charge_rule": "fixed_rate",
                "late_charge_rate": 10.0,
            }
        )
        cls.reason = cls.env.ref("account_dunning.dispute_reason_price")
        with freeze_time("2026-03-01"):
            cls.invoice = cls._dunning_invoice(1000.0, "2026-03-01")

    def _notes(self, record):
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id)], order="id"
        )

    @freeze_time("2026-03-20 12:00:00")
    def test_statement_french_file_english_history(self):
        action = self.customer.with_user(self.collector).action_dunning_send_statement()
        self.assertIn("Statement of account sent to", action["params"]["message"])
        event = self.env["dunning.event"].search([("channel", "=", "statement")])
        self.assertIn("Statement of account sent by", event.reason)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", event.message_id.id)])
        self.assertTrue(mail.attachment_ids)
        self.assertTrue(
            all(name.startswith("Relevé de compte") for name in mail.attachment_ids.mapped("name")),
            mail.attachment_ids.mapped("name"),
        )
        self.assertNotIn("Statement", mail.subject)
        # The chatter's copy is for staff: English.
        self.assertIn("Statement of account", event.message_id.body)
        self.assertNotIn("Relevé", event.message_id.body)

    @freeze_time("2026-03-20 12:00:00")
    def test_self_service_dispute_french_answer_english_records(self):
        public = self.env.ref("base.public_user")
        visitor = self.ap_contact.with_user(public).sudo().with_company(self.company)
        # The page is in the visitor's language.
        dispute = visitor.with_context(lang="fr_FR")._dunning_self_service_dispute(
            self.invoice.id, self.reason.id, "Le prix n'est pas celui du devis.", None, None
        )
        self.assertTrue(
            dispute.note.startswith("From Acme Retail, Paula Payables, online:"), dispute.note
        )
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "dunning.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(activity.summary, "Dispute opened online")
        events = dispute.event_ids.sorted("id")
        self.assertIn("Dispute opened: ", events[0].reason)
        portal = events.filtered(lambda e: e.channel == "portal")
        self.assertTrue(portal.reason.startswith("Dispute opened online:"), portal.reason)
        confirmation = events.filtered(lambda e: e.channel == "email")
        self.assertIn("Confirmation of Dispute", confirmation.reason)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", confirmation.message_id.id)])
        self.assertIn("examinons", mail.subject)
        self.assertIn("Nous avons bien reçu", mail.body_html)
        self.assertNotIn("We have received", mail.body_html)
        # Its chatter copy, for staff, in English.
        self.assertIn("Email", confirmation.message_id.body)
        self.assertNotIn("Nous avons", confirmation.message_id.body)

    @freeze_time("2026-03-31 12:00:00")  # 30 days late: the formal demand, with a letter
    def test_ladder_letter_and_late_charge_in_french(self):
        self.invoice.dunning_level_id = self.levels.filtered(lambda lvl: lvl.delay_days == 15)
        run = self._run()
        letter = run.event_ids.filtered(lambda e: e.channel == "letter")
        self.assertTrue(letter, run.event_ids.mapped("reason"))
        self.assertTrue(letter.attachment_id.name.startswith("Lettre "), letter.attachment_id.name)
        self.assertNotIn("Lettre", letter.reason or "")
        wizard = (
            self.env["dunning.late.charge.wizard"]
            .with_context(default_partner_id=self.customer.id)
            .create({})
        )
        charge = self.env["account.move"].browse(wizard.action_confirm()["res_id"])
        self.assertTrue(charge.invoice_line_ids)
        self.assertTrue(
            all(n.startswith("Intérêts de retard") for n in charge.invoice_line_ids.mapped("name")),
            charge.invoice_line_ids.mapped("name"),
        )
