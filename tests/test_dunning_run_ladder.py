from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningRunCommon

T = "account_dunning.mail_template_dunning_"


@tagged("post_install", "-at_install")
class TestDunningLadderWalk(DunningRunCommon):
    """A customer with two invoices, walked day by day down the default ladder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv_a = cls._dunning_invoice(1000.0, "2026-03-10", invoice_date=date(2026, 2, 8))
        cls.inv_b = cls._dunning_invoice(500.0, "2026-03-20", invoice_date=date(2026, 2, 18))

    def _expected_days(self):
        a, b = self.inv_a.name, self.inv_b.name
        # day -> (template, invoices listed, level of A, level of B, call, letter, hand-off)
        # A is due on 10 March, B on 20 March; at most one step per 3 days per customer.
        return {
            date(2026, 3, 7): (T + "friendly", [a], 0, None, False, False, False),
            date(2026, 3, 10): (T + "due", [a], 1, None, False, False, False),
            # B's heads-up joins A's reminder; the older invoice's level sets the tone.
            date(2026, 3, 17): (T + "polite", [a, b], 2, 0, False, False, False),
            date(2026, 3, 20): (T + "polite", [a, b], 2, 1, False, False, False),
            date(2026, 3, 25): (T + "firm", [a, b], 3, 1, True, False, False),
            # B reaches +7 on 27 March, too soon after the 25th: it climbs on the 28th.
            date(2026, 3, 28): (T + "firm", [a, b], 3, 2, True, False, False),
            date(2026, 4, 4): (T + "firm", [a, b], 3, 3, True, False, False),
            date(2026, 4, 9): (T + "formal", [a, b], 4, 3, True, True, False),
            date(2026, 4, 19): (T + "formal", [a, b], 4, 4, True, True, False),
            date(2026, 4, 24): (T + "final", [a, b], 5, 4, False, False, False),
            date(2026, 5, 4): (T + "final", [a, b], 5, 5, False, False, False),
            # The last rung asks the collector to decide a hand-off; nothing to the customer.
            date(2026, 5, 9): (None, [a, b], 6, 5, False, False, True),
            date(2026, 5, 19): (None, [a, b], 6, 6, False, False, True),
        }

    def test_walk_the_whole_ladder_day_by_day(self):
        expected = self._expected_days()
        seen_mails, seen_calls = self.env["mail.mail"], self.env["mail.activity"]
        day = date(2026, 3, 1)
        while day <= date(2026, 5, 25):
            with freeze_time(day):
                self._run()
            new_mails = self._mails() - seen_mails
            new_calls = self._calls() - seen_calls
            seen_mails |= new_mails
            seen_calls |= new_calls
            events = self.env["dunning.event"].search(
                [("partner_id", "=", self.customer.id), ("date", "=", day)]
            )
            if day not in expected:
                self.assertFalse(new_mails, f"unexpected email on {day}")
                self.assertFalse(new_calls, f"unexpected call on {day}")
                self.assertFalse(events.filtered(lambda e: e.state == "done"), f"event on {day}")
                day += timedelta(days=1)
                continue
            # A call step brings the customer's open collections call up to date (the
            # collector has not logged the previous one): never a second open call.
            self.assertLessEqual(len(self._calls()), 1, f"two open calls on {day}")
            todays_calls = events.filtered(
                lambda e: e.channel == "call" and e.state == "done"
            ).activity_id
            with self.subTest(day=day):
                self._check_day(day, new_mails, todays_calls, events, expected[day])
            day += timedelta(days=1)
        # Every invoice ended at the last rung; nothing is left to send.
        self.assertEqual(self.inv_a.dunning_level_id, self.levels[6])
        self.assertEqual(self.inv_b.dunning_level_id, self.levels[6])

    def _check_day(self, day, mails, calls, events, expectation):
        template, listed, level_a, level_b, call, letter, handoff = expectation
        self.assertEqual(self.inv_a.dunning_level_id, self.levels[level_a])
        expected_b = self.levels[level_b] if level_b is not None else self.env["dunning.level"]
        self.assertEqual(self.inv_b.dunning_level_id, expected_b)
        done = events.filtered(lambda e: e.state == "done")
        if template:
            # One message per customer; the email to the accounts-payable contact is
            # queued (internal followers, e.g. the collector, may get their own copy).
            self.assertEqual(len(mails.mail_message_id), 1)
            mail = mails.filtered(lambda m: self.ap_contact in m.recipient_ids)
            self.assertEqual(len(mail), 1)
            self.assertEqual(mail.state, "outgoing")
            self.assertEqual(mail.recipient_ids, self.ap_contact)
            self.assertIn("finance@company-a.example.com", mail.email_from)
            email_event = done.filtered(lambda e: e.channel == "email")
            self.assertEqual(email_event.level_id.mail_template_id, self.env.ref(template))
            self.assertEqual(email_event.message_id, mail.mail_message_id)
            self.assertEqual(sorted(email_event.move_ids.mapped("name")), sorted(listed))
            body = str(mail.body_html)
            for name in listed:
                self.assertIn(name, body)
            for absent in {self.inv_a.name, self.inv_b.name} - set(listed):
                self.assertNotIn(absent, body)
            total = sum(m.amount_residual for m in email_event.move_ids)
            self.assertIn(f"{total:,.2f}", body)
            self.assertIn("If you have already paid", body)
            self.assertIn("BE0477472701", body)  # company legal identity
            self.assertIn("/my/invoices/", body)  # pay-now link
        else:
            self.assertFalse(mails)
        if call:
            self.assertEqual(len(calls), 1)
            self.assertEqual(calls.user_id, self.collector)
            self.assertIn(self.ap_contact.name, str(calls.note))
            self.assertIn(self.inv_a.name, str(calls.note))
        else:
            self.assertFalse(calls)
        letter_event = done.filtered(lambda e: e.channel == "letter")
        self.assertEqual(bool(letter_event), letter)
        if letter:
            self.assertTrue(letter_event.attachment_id)
            self.assertIn(letter_event.attachment_id, mails.attachment_ids)
        self.assertEqual(bool(done.filtered(lambda e: e.channel == "handoff")), handoff)
        # Each invoice that took a step got an internal note, not a second email.
        stepped = self.inv_a | (self.inv_b if level_b is not None else self.inv_a)
        for invoice in stepped:
            notes = invoice.message_ids.filtered(
                lambda m: m.message_type == "notification" and "Collections:" in str(m.body)
            )
            self.assertTrue(notes, f"no note on {invoice.name}")
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "account.move"),
                                          ("res_id", "in", stepped.ids)])
        )  # fmt: skip
