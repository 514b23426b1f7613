from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

from .common_handoff import HandoffCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-04-01")
class TestHandoff(HandoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env, login="collector_ho", groups="account.group_account_invoice"
        )

    def test_agency_handoff_does_everything_the_issue_lists(self):
        self.customer.dunning_collector_id = self.collector
        moves = self.inv1 | self.inv2
        case = self._handoff(moves)

        # The invoices are at the agency: the ladder no longer chases them.
        self.assertEqual(set(moves.mapped("dunning_stage")), {"agency"})
        for move in moves:
            self.assertFalse(move._dunning_is_chasable())
            self.assertFalse(move.dunning_next_date)
        self.assertTrue(self.not_handed._dunning_is_chasable())
        handoff_level = self.levels.filtered(lambda lvl: lvl.tone == "handoff")
        self.assertEqual(moves.dunning_level_id, handoff_level)

        # The case.
        self.assertEqual(case.state, "open")
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.agency_id, self.agency)
        self.assertEqual(case.commission_rate, 15.0)
        self.assertEqual(case.reference, "FC-2026-77")
        self.assertEqual(case.move_ids, moves)
        self.assertEqual(case.amount_handed_off, 1500.0)
        self.assertEqual(case.amount_open, 1500.0)
        self.assertEqual(case.amount_recovered, 0.0)
        self.assertEqual(case.date, date(2026, 4, 1))
        self.assertEqual(case.user_id, self.collector)
        self.assertTrue(case.name.startswith("CASE/2026/"))
        self.assertEqual(moves.dunning_case_ids, case)

        # The logged event.
        event = self.env["dunning.event"].search(
            [("partner_id", "=", self.customer.id), ("channel", "=", "handoff")]
        )
        self.assertEqual(len(event), 1)
        self.assertEqual(event.move_ids, moves)
        self.assertEqual(event.level_id, handoff_level)
        self.assertEqual(event.contact_id, self.ap_contact)
        self.assertEqual(event.amount_residual, 1500.0)
        self.assertEqual(event.attachment_id, case.case_file_pdf_id)
        self.assertIn("Fair Collect Ltd", event.reason)

        # Credit hold (the default policy says so), for this company only.
        self.assertTrue(self.customer.dunning_credit_hold)
        other_company = self.setup_other_company(name="Company Hold")["company"]
        self.assertFalse(self.customer.with_company(other_company).dunning_credit_hold)

        # The case file goes to the agency's case address with both attachments.
        to_agency = self.env["mail.mail"].search(
            [("model", "=", "dunning.case"), ("res_id", "=", case.id), ("email_to", "!=", False)]
        )
        self.assertEqual(len(to_agency), 1)
        self.assertEqual(to_agency.email_to, "cases@faircollect.example.com")
        self.assertEqual(to_agency.attachment_ids, case.case_file_pdf_id | case.case_file_csv_id)
        self.assertIn("Acme Retail", to_agency.subject)
        self.assertIn("Please call before writing.", to_agency.body_html)

        # The customer's AP contact gets the neutral notice, its own email event.
        notice_event = self.inv1.dunning_event_ids.filtered(
            lambda e: e.channel == "email" and e.contact_id == self.ap_contact
        )
        self.assertEqual(len(notice_event), 1)
        self.assertTrue(notice_event.is_customer_message)
        notice = self.env["mail.mail"].search(
            [("mail_message_id", "=", notice_event.message_id.id)]
        )
        self.assertEqual((notice.model, notice.res_id), ("res.partner", self.customer.id))
        self.assertEqual(notice.recipient_ids, self.ap_contact)
        self.assertEqual(notice_event.message_id, notice.mail_message_id)
        # The case file is an email event too, not a message to the customer.
        to_agency_event = self.inv1.dunning_event_ids.filtered(
            lambda e: e.channel == "email" and "Case file" in (e.reason or "")
        )
        self.assertEqual(to_agency_event.message_id, to_agency.mail_message_id)
        self.assertFalse(to_agency_event.is_customer_message)
        self.assertIn("transfer", notice.subject)
        self.assertIn(self.inv1.name, notice.body_html)
        self.assertIn("finance@company-a.example.com", notice.email_from)

        # The collector is reminded to ask the agency for news in 30 days.
        activity = case.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, date(2026, 5, 1))
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("account_dunning.mail_activity_type_dunning_todo"),
        )
        self.assertEqual(event.activity_id, activity)

    def test_legal_handoff_attaches_the_file_and_sends_nothing_to_the_lawyer(self):
        self.policy.write({"handoff_credit_hold": False, "handoff_notify_customer": False})
        self.policy.default_collector_id = self.collector
        self.policy.handoff_followup_days = 45
        case = self._handoff(self.inv1, handoff_type="legal")
        self.assertEqual(self.inv1.dunning_stage, "legal")
        self.assertFalse(self.inv1._dunning_is_chasable())
        self.assertEqual(case.agency_id, self.lawyer)
        self.assertEqual(case.commission_rate, 0.0)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "dunning.case"),
                                                       ("res_id", "=", case.id),
                                                       ("email_to", "!=", False)]))  # fmt: skip
        self.assertFalse(self.customer.dunning_credit_hold)
        event = self.inv1.dunning_event_ids.filtered(lambda e: e.channel == "handoff")
        self.assertFalse(event.message_id)
        self.assertFalse(event.contact_id)
        note = case.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertEqual(note.attachment_ids, case.case_file_pdf_id | case.case_file_csv_id)
        # Collector from the policy, follow-up delay from the policy.
        self.assertEqual(case.user_id, self.collector)
        self.assertEqual(case.activity_ids.date_deadline, date(2026, 5, 16))

    def test_collector_defaults_to_current_user(self):
        case = self._handoff(self.inv1)
        self.assertEqual(case.user_id, self.env.user)
        self.assertEqual(case.activity_ids.user_id, self.env.user)

    def test_notice_not_sent_without_email_is_logged(self):
        # No address anywhere: the contact falls back to the customer, who has none either.
        self.ap_contact.email = False
        self.customer.email = False
        self._handoff(self.inv1)
        notice = self.inv1.dunning_event_ids.filtered(
            lambda e: e.channel == "email" and e.contact_id
        )
        self.assertEqual(notice.state, "failed")
        self.assertFalse(notice.message_id)
        self.assertIn("No email address", notice.reason)

    def test_wizard_from_customer_takes_its_overdue_invoices(self):
        not_due = self._dunning_invoice(300.0, "2026-04-20")
        paid = self._dunning_invoice(200.0, "2026-01-05")
        self._dunning_pay(paid, 200.0)
        self.inv2._dunning_set_stage("dispute")
        wizard = (
            self.env["dunning.handoff.wizard"]
            .with_context(active_model="res.partner", active_id=self.customer.id)
            .create({"agency_id": self.agency.id})
        )
        self.assertEqual(wizard.move_ids, self.inv1 | self.not_handed)
        self.assertNotIn(not_due, wizard.move_ids)
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.amount_total, 1080.0)
        self.assertTrue(wizard.credit_hold)
        self.assertTrue(wizard.notify_customer)

    def test_wizard_from_customer_for_a_user_takes_what_reached_the_last_step(self):
        wizard = (
            self.env(user=self.collector)["dunning.handoff.wizard"]
            .with_context(active_model="res.partner", active_id=self.customer.id)
            .create({"agency_id": self.agency.id})
        )
        self.assertEqual(wizard.move_ids, self.inv1 | self.inv2)  # not_handed has no level

    def test_wizard_form_from_invoice_list(self):
        form = Form(
            self.env["dunning.handoff.wizard"].with_context(
                active_model="account.move", active_ids=(self.inv1 | self.inv2).ids
            )
        )
        form.agency_id = self.agency
        self.assertEqual(form.amount_total, 1500.0)
        self.assertEqual(form.agency_commission, 15.0)
        wizard = form.save()
        wizard.action_confirm()
        self.assertEqual(self.inv1.dunning_stage, "agency")

    def test_validation_errors(self):
        cases = [
            (self.inv1 | self.other_inv, {}, "one customer at a time"),
            (self.inv1 | self._dunning_invoice(10.0, "2026-05-01"), {}, "not overdue yet"),
            (self._dunning_invoice(10.0, "2026-01-01", move_type="out_refund"), {},
             "Only posted customer invoices"),
            (self.inv1, {"agency_id": self.lawyer.id}, "not flagged as a collection agency"),
            (self.inv1, {"agency_id": self.customer.id, "handoff_type": "legal"},
             "cannot collect its own debts"),
        ]  # fmt: skip
        for moves, values, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message):
                self._handoff(moves, **values)
        paid = self._dunning_invoice(50.0, "2026-01-01")
        self._dunning_pay(paid, 50.0)
        with self.assertRaisesRegex(UserError, "Nothing is left to collect"):
            self._handoff(paid)
        self.inv2._dunning_set_stage("dispute")
        with self.assertRaisesRegex(UserError, "from the stage Disputed"):
            self._handoff(self.inv2)
        self.inv1.dunning_excluded = True
        with self.assertRaisesRegex(UserError, "excluded from collections"):
            self._handoff(self.inv1)
        self.agency.write({"dunning_agency_email": False, "email": False})
        with self.assertRaisesRegex(UserError, "no email address"):
            self._handoff(self.not_handed)
        with self.assertRaisesRegex(UserError, "Choose the lawyer"):
            self.env["dunning.handoff.wizard"].create(
                {"move_ids": [Command.set(self.not_handed.ids)], "handoff_type": "legal"}
            ).action_confirm()

    def test_invoice_at_agency_cannot_be_handed_off_again(self):
        self._handoff(self.inv1)
        with self.assertRaisesRegex(UserError, "already held by Collection Case"):
            self._handoff(self.inv1)

    def test_user_hands_off_after_the_last_internal_step_manager_any_time(self):
        env = self.env(user=self.collector)
        self.not_handed.dunning_level_id = self.levels[4]  # formal demand, not final notice
        with self.assertRaisesRegex(UserError, "last step of the ladder \\(Final notice\\)"):
            self._handoff(self.not_handed, env=env)
        case = self._handoff(self.inv1, env=env)  # reached the final notice
        self.assertEqual(self.inv1.dunning_stage, "agency")
        self.assertEqual(case.create_uid, self.collector)
        manager_case = self._handoff(self.not_handed)  # the test user is a manager
        self.assertEqual(manager_case.move_ids, self.not_handed)

    def test_return_to_normal_and_to_legal(self):
        case = self._handoff(self.inv1 | self.inv2)
        self._dunning_pay(self.inv2, 500.0)
        case.action_return_to_normal()
        self.assertEqual(case.state, "returned")
        self.assertEqual(case.date_returned, date(2026, 4, 1))
        self.assertEqual(self.inv1.dunning_stage, "normal")
        self.assertEqual(self.inv2.dunning_stage, "recovered")
        self.assertTrue(self.inv1._dunning_is_chasable())
        events = self.inv1.dunning_event_ids.filtered(lambda e: e.channel == "handoff")
        self.assertEqual(len(events), 2)
        self.assertIn("resume internally", events.sorted("id")[-1].reason)
        with self.assertRaisesRegex(UserError, "is not open"):
            case.action_return_to_normal()

        # An agency case that comes back unpaid goes to a lawyer.
        agency_case = self._handoff(self.not_handed)
        action = agency_case.action_return_to_legal()
        wizard = (
            self.env["dunning.handoff.wizard"]
            .with_context(**action["context"])
            .create({"agency_id": self.lawyer.id})
        )
        self.assertEqual(wizard.handoff_type, "legal")
        self.assertEqual(wizard.move_ids, self.not_handed)
        legal_case = self.env["dunning.case"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(agency_case.state, "returned")
        self.assertEqual(legal_case.handoff_type, "legal")
        self.assertEqual(legal_case.agency_id, self.lawyer)
        self.assertEqual(self.not_handed.dunning_stage, "legal")
        self.assertEqual(self.not_handed._dunning_current_case(), legal_case)
        with self.assertRaisesRegex(UserError, "already a legal action"):
            legal_case.action_return_to_legal()

    def _quick_agency(self):
        """An agency created from the wizard's agency field: flagged, with no terms."""
        return self.env["res.partner"].create(
            {"name": "Quick Collect", "is_company": True, "dunning_is_agency": True,
             "email": "info@quick.example.com"}
        )  # fmt: skip

    def test_handoff_wizard_asks_a_new_agency_for_its_terms(self):
        quick = self._quick_agency()
        with self.assertRaisesRegex(UserError, "Quick Collect has no commission rate"):
            self._handoff(self.inv1, agency=quick)
        self.assertEqual(self.inv1.dunning_stage, "normal")
        case = self._handoff(
            self.inv1, agency=quick, agency_commission=12.5, agency_email="cases@quick.example.com"
        )
        self.assertEqual(quick.dunning_agency_commission, 12.5)
        self.assertEqual(quick.dunning_agency_email, "cases@quick.example.com")
        self.assertEqual(case.commission_rate, 12.5)
        mail = self.env["mail.mail"].search(
            [("model", "=", "dunning.case"), ("res_id", "=", case.id)]
        )
        self.assertIn(
            "cases@quick.example.com", mail.email_to or str(mail.recipient_ids.mapped("email"))
        )

    def test_handoff_to_an_agency_without_commission_is_explicit(self):
        quick = self._quick_agency()
        case = self._handoff(self.inv1, agency=quick, no_commission=True)
        self.assertEqual(case.commission_rate, 0.0)
        self.assertEqual(quick.dunning_agency_commission, 0.0)

    def test_only_managers_set_an_agency_terms_in_the_wizard(self):
        env = self.env(user=self.collector)
        with self.assertRaises(AccessError):
            self._handoff(self.inv1, env=env, agency_commission=50.0)
        self.assertEqual(self.agency.dunning_agency_commission, 15.0)
        with self.assertRaisesRegex(UserError, "ask a collections manager"):
            self._handoff(self.inv1, env=env, agency=self._quick_agency())
        case = self._handoff(self.inv1, env=env)  # the agency's own terms
        self.assertEqual(case.commission_rate, 15.0)

    def test_credit_hold_message_names_the_customer_without_its_address(self):
        self._handoff(self.inv1)
        draft = (
            self.env["account.move"]
            .with_context(show_address=True)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.ap_contact.id,
                    "invoice_line_ids": [
                        Command.create({"name": "More", "quantity": 1, "price_unit": 10.0})
                    ],
                }
            )
        )
        message = draft._dunning_credit_hold_message()
        self.assertTrue(message.startswith("Acme Retail is on credit hold"), message)
        self.assertNotIn("\n", message)
        self.assertNotIn("Harbour Road", message)
        self.assertNotIn("Ann Payables", message)
        self.assertIn(
            "Acme Retail is on credit hold", draft.alerts["account_dunning_credit_hold"]["message"]
        )

    def test_credit_hold_warns_on_new_invoices_without_blocking(self):
        self._handoff(self.inv1)
        draft = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.ap_contact.id,
                "invoice_line_ids": [
                    Command.create({"name": "More", "quantity": 1, "price_unit": 10.0})
                ],
            }
        )
        self.assertTrue(draft.dunning_credit_hold)
        self.assertIn("account_dunning_credit_hold", draft.alerts)
        self.assertIn("credit hold", draft.alerts["account_dunning_credit_hold"]["message"])
        warning = draft._onchange_partner_id_dunning_credit_hold()
        self.assertEqual(warning["warning"]["title"], "Customer on credit hold")
        # Posting is not blocked; the alert is gone once posted.
        draft.action_post()
        self.assertEqual(draft.state, "posted")
        self.assertNotIn("account_dunning_credit_hold", draft.alerts or {})
        # Another customer: no warning.
        other = self.env["account.move"].new(
            {"move_type": "out_invoice", "partner_id": self.other_customer.id}
        )
        self.assertFalse(other._onchange_partner_id_dunning_credit_hold())
