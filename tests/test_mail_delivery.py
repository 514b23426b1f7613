"""Reminders through Odoo's own mail queue to a real SMTP server, and what comes back
through Odoo's mail gateway (message_process, as fetchmail or the mail alias passes it):
a bounce and a customer's reply."""

import logging
from email.utils import getaddresses, make_msgid

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningRunCommon
from .smtp_server import SmtpSink

_logger = logging.getLogger(__name__)

SENDER = '"Acme Receivables" <receivables@company-a.example.com>'
REPLY_TO = '"Acme Collections" <collections@company-a.example.com>'
# The company's mail domain: the outgoing server's "FROM Filtering" names it, so that Odoo
# sends as the finance address (a server without it sends as notifications@ the domain).
MAIL_DOMAIN = "company-a.example.com"

# A delivery status notification as Postfix sends it (RFC 3464): a human part, the
# machine-readable status, and the headers of the message that could not be delivered.
DSN = """\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.acme.example.com>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: {dsn_id}
Date: Wed, 11 Mar 2026 10:00:05 +0000
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="4F2A81C0123.1773223205/mx.acme.example.com"

--4F2A81C0123.1773223205/mx.acme.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.acme.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.acme.example.com[192.0.2.25] said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown in local
    recipient table (in reply to RCPT TO command)

--4F2A81C0123.1773223205/mx.acme.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example.com
X-Postfix-Queue-ID: 4F2A81C0123
Arrival-Date: Wed, 11 Mar 2026 10:00:01 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.acme.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected:
    User unknown in local recipient table

--4F2A81C0123.1773223205/mx.acme.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{headers}
--4F2A81C0123.1773223205/mx.acme.example.com--
"""

REPLY = """\
From: "Paula Payables" <payables@acme.example.com>
To: {to}
Subject: Re: {subject}
Message-ID: {reply_id}
In-Reply-To: {parent_id}
References: {parent_id}
Date: Wed, 11 Mar 2026 11:30:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
{extra}
Hello, we paid this invoice last Friday; the remittance is on its way to you.
Paula
"""


class MailCommon(DunningRunCommon):
    """A real SMTP server for the class; the policy's finance sender and reply-to."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = SmtpSink().start()
        cls.addClassCleanup(cls.sink.stop)
        # The company's mail domain: Odoo's bounce address (Return-Path) and catchall.
        alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": "company-a.example.com",
                "bounce_alias": "bounce",
                "catchall_alias": "catchall",
            }
        )
        cls.company.alias_domain_id = alias_domain
        cls.policy.write({"email_from": SENDER, "reply_to": REPLY_TO})
        with freeze_time("2026-03-01"):
            cls.invoice = cls._dunning_invoice(100.0, "2026-03-01")

    def setUp(self):
        super().setUp()
        self.sink.clear()

    def _deliver_queue(self):
        """Odoo's mail queue, as its scheduled action runs it, delivering to the sink;
        returns the messages delivered by this call."""
        return self.sink.deliver_queue(self.env, from_filter=MAIL_DOMAIN)

    def _reminder(self):
        """Today's run (frozen) and the one reminder it delivers."""
        self._run()
        messages = self._deliver_queue()
        self.assertEqual(len(messages), 1, [m["Subject"] for m in messages])
        return messages[0]

    def _gateway(self, raw):
        """An incoming email through Odoo's mail gateway, as fetchmail passes it (the
        scheduler: superuser); returns the thread id Odoo routed it to."""
        return self.env["mail.thread"].sudo().message_process(False, raw)

    def _event_of(self, delivered):
        return self.env["dunning.event"].search(
            [("message_id.message_id", "=", delivered["Message-ID"])]
        )

    def _fix_contact_tasks(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("summary", "like", "Fix contact"),
            ]
        )


@tagged("post_install", "-at_install")
class TestMailDelivery(MailCommon):
    """A reminder leaves Odoo as a correct email: read where it arrives."""

    def _store_pdfs(self, invoices):
        """The invoices' PDFs stored ahead (the module's warm-up), as real PDFs: Odoo's
        test mode renders HTML in their place otherwise."""
        invoices.with_context(force_report_rendering=True)._dunning_invoice_pdfs()
        self.assertTrue(invoices.invoice_pdf_report_id)

    @freeze_time("2026-03-11 10:00:00")
    def test_reminder_as_delivered(self):
        self._store_pdfs(self.invoice)
        message = self._reminder()
        _logger.info(
            "Headers of a delivered reminder:\n%s",
            "".join(f"{name}: {value}\n" for name, value in message.items()),
        )
        mail = self._mails()
        event = self._event_of(message)
        self.assertEqual(event.state, "done")
        # The finance team sends (the policy's sender), replies go to its reply-to,
        # the accounts-payable contact receives, Odoo's bounce address is the envelope.
        self.assertEqual(getaddresses([message["From"]]), [("Acme Receivables",
                         "receivables@company-a.example.com")])  # fmt: skip
        self.assertEqual(getaddresses([message["Reply-To"]]), [("Acme Collections",
                         "collections@company-a.example.com")])  # fmt: skip
        self.assertEqual(getaddresses([message["To"]]),
                         [("Paula Payables", "payables@acme.example.com")])  # fmt: skip
        envelope = self.sink.envelopes[-1]
        self.assertEqual(envelope["rcpt_tos"], ["payables@acme.example.com"])
        self.assertTrue(envelope["mail_from"].startswith("bounce"), envelope)
        self.assertTrue(envelope["mail_from"].endswith("@company-a.example.com"), envelope)
        self.assertEqual(message["Subject"], mail.subject)
        self.assertIn("open invoices on your account", message["Subject"])
        # A business: no unsubscribe header (the opt-out is for consumers).
        self.assertIsNone(message["List-Unsubscribe"])
        # Both parts carry the message: the invoice, the amount, the pay-now link.
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        for part in (html, text):
            self.assertIn(self.invoice.name, part)
            self.assertIn("Our records do not show your payment", part)
        self.assertIn("Pay now", html)
        self.assertIn("<table", html)
        self.assertNotIn("<table", text)
        # The invoice's PDF, as a PDF.
        attachments = list(message.iter_attachments())
        self.assertEqual(
            [(part.get_filename(), part.get_content_type()) for part in attachments],
            [(self.invoice.invoice_pdf_report_id.name, "application/pdf")],
        )
        self.assertTrue(attachments[0].get_content().startswith(b"%PDF"))
        # Its Message-ID is the chatter message's: a reply threads to the customer.
        self.assertEqual(message["Message-ID"], event.message_id.message_id)
        self.assertEqual((event.message_id.model, event.message_id.res_id),
                         ("res.partner", self.customer.id))  # fmt: skip

    @freeze_time("2026-03-11 10:00:00")
    def test_french_consumer_reads_french_and_can_unsubscribe(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["account_dunning"], ["fr_FR"], overwrite=True
        )
        camille = self.env["res.partner"].create(
            {"name": "Camille Martin", "email": "camille@example.fr", "lang": "fr_FR"}
        )
        self.assertTrue(camille.dunning_is_consumer)
        with freeze_time("2026-03-01"):
            invoice = self._dunning_invoice(80.0, "2026-03-01", partner=camille)
        self.invoice.button_draft()  # only Camille is chased today
        self._store_pdfs(invoice)
        message = self._reminder()
        self.assertEqual(getaddresses([message["To"]])[0][1], "camille@example.fr")
        self.assertIn("factures en attente de règlement", message["Subject"])
        html = message.get_body(("html",)).get_content()
        self.assertIn(invoice.name, html)
        self.assertNotIn("Our records do not show your payment", html)
        # RFC 2369 / 8058: the mail client's own one-click unsubscribe.
        unsubscribe = message["List-Unsubscribe"]
        self.assertRegex(unsubscribe, r"^<https?://[^>]+/dunning/email_opt_out[^>]*>$")
        self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        (attachment,) = message.iter_attachments()
        self.assertEqual(attachment.get_content_type(), "application/pdf")
        self.assertEqual(attachment.get_filename(), invoice.invoice_pdf_report_id.name)


@tagged("post_install", "-at_install")
class TestMailBounce(MailCommon):
    """A bounce, through Odoo's gateway: the reminder fails, the collector fixes the
    contact (one task), Odoo counts the bounce and no email goes to the address until
    it is corrected; the ladder goes on by the channels that still reach the customer."""

    def _bounce(self, delivered, envelope):
        raw = DSN.format(
            to=envelope["mail_from"],
            dsn_id=make_msgid(domain="mx.acme.example.com"),
            recipient="payables@acme.example.com",
            headers="".join(f"{name}: {value}\n" for name, value in delivered.items()),
        )
        self.assertFalse(self._gateway(raw), "a bounce is routed to no thread")

    def test_bounce_fails_the_reminder_and_the_ladder_goes_on(self):
        level_15 = self.levels.filtered(lambda lvl: lvl.delay_days == 15)
        self.assertTrue(level_15.create_call)
        level_15.send_sms = True
        self.ap_contact.phone = "+32 470 12 34 56"
        with freeze_time("2026-03-11 10:00:00"):
            delivered = self._reminder()
            envelope = self.sink.envelopes[-1]
            event = self._event_of(delivered)
            self.assertEqual(event.state, "done")
            self._bounce(delivered, envelope)
            self.assertEqual(event.state, "failed")
            self.assertIn("Paula Payables", event.reason)
            self.assertIn("User unknown", event.reason)
            notification = event.message_id.notification_ids
            self.assertEqual(notification.notification_status, "bounce")
            self.assertEqual(self.ap_contact.message_bounce, 1, "Odoo counts the bounce")
            task = self._fix_contact_tasks()
            self.assertEqual(task.summary, "Fix contact: the email address bounced")
            self.assertEqual(task.user_id, self.collector)
            self.assertIn("User unknown", str(task.note))
            # The same bounce reported again (a second DSN): counted, still one task.
            self._bounce(delivered, envelope)
            self.assertEqual(self.ap_contact.message_bounce, 2)
            self.assertEqual(len(self._fix_contact_tasks()), 1)
        with freeze_time("2026-03-16 10:00:00"):  # 15 days late: email, call and SMS
            run = self._run()
            delivered = self._deliver_queue()  # the collector's activity notices only
            self.assertEqual(
                [m["To"] for m in delivered if "acme.example.com" in m["To"]],
                [],
                "no email to the bouncing address",
            )
            events = run.event_ids
            email = events.filtered(lambda e: e.channel == "email")
            self.assertEqual(email.state, "failed")
            self.assertIn("payables@acme.example.com bounced", email.reason)
            sms = events.filtered(lambda e: e.channel == "sms")
            self.assertEqual(sms.state, "done", sms.reason)
            self.assertEqual(len(self._calls()), 1, "the call is on the collector's agenda")
            self.assertEqual(self.invoice.dunning_level_id, level_15, "the ladder goes on")
            self.assertEqual(len(self._fix_contact_tasks()), 1)
        # The collector corrects the address: Odoo's counter starts again, email goes.
        self.ap_contact.email = "paula.payables@acme.example.com"
        self.assertEqual(self.ap_contact.message_bounce, 0)
        with freeze_time("2026-03-31 10:00:00"):
            delivered = self._reminder()
        self.assertEqual(getaddresses([delivered["To"]])[0][1], "paula.payables@acme.example.com")


@tagged("post_install", "-at_install")
class TestMailReply(MailCommon):
    """A customer's answer to a reminder, through Odoo's gateway: on the customer's
    chatter, the ladder paused for the policy's working days (logged), one "Customer
    replied" activity and the worklist's flag; an automatic reply changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Daily steps allowed, so that only the reply's pause holds the ladder back.
        cls.policy.write({"min_days_between_steps": 0, "email_min_days": 0})
        with freeze_time("2026-03-06"):
            cls.invoice_2 = cls._dunning_invoice(250.0, "2026-03-06")

    def _reply(self, delivered, extra=""):
        raw = REPLY.format(
            to=REPLY_TO,
            subject=delivered["Subject"],
            reply_id=make_msgid(domain="acme.example.com"),
            parent_id=delivered["Message-ID"],
            extra=extra,
        )
        return self._gateway(raw)

    def _reply_activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("activity_type_id", "=",
                 self.env.ref("account_dunning.mail_activity_type_dunning_reply").id),
            ]
        )  # fmt: skip

    def _line_on(self, day):
        with freeze_time(f"{day} 10:00:00"):
            run = self._run()
        return run.line_ids.filtered(lambda line: line.partner_id == self.customer)

    def test_reply_pauses_the_ladder_for_working_days(self):
        self.assertEqual(self.policy.reply_pause_days, 3)
        with freeze_time("2026-03-11 11:30:00"):  # a Wednesday
            delivered = self._reminder()
            thread_id = self._reply(delivered)
            # On the customer's chatter, threaded under the reminder.
            self.assertEqual(thread_id, self.customer.id)
            reply = self.env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.customer.id),
                 ("message_type", "=", "email")]
            )  # fmt: skip
            self.assertEqual(len(reply), 1)
            self.assertIn("we paid this invoice last Friday", str(reply.body))
            self.assertEqual(reply.parent_id, self._event_of(delivered).message_id)
            # Three working days after Wednesday's reply: Monday the ladder acts again.
            self.assertEqual(str(self.customer.dunning_postpone_until), "2026-03-16")
            logged = self.env["dunning.event"].search(
                [("partner_id", "=", self.customer.id), ("channel", "=", "note")]
            )
            self.assertEqual(len(logged), 1)
            self.assertIn("Reminders postponed until 03/16/2026", logged.reason)
            self.assertIn("Paula Payables replied on 03/11/2026", logged.reason)
            activity = self._reply_activities()
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.user_id, self.collector)
            self.assertEqual(activity.summary, "Customer replied")
            self.assertIn("Reminders paused until 03/16/2026", str(activity.note))
            self.assertTrue(self.customer.dunning_replied)
            worklist = self.env["res.partner"].search([("dunning_replied", "=", True)])
            self.assertEqual(worklist, self.customer)
            # A second answer: on the chatter, still one activity.
            self._reply(delivered)
            self.assertEqual(len(self._reply_activities()), 1)
        # Friday: the second invoice's step is due, the reply holds it back.
        line = self._line_on("2026-03-13")
        self.assertEqual((line.state, line.skip_reason), ("skipped", "postponed"))
        self.assertIn("replied", line._describe())
        line = self._line_on("2026-03-16")
        self.assertEqual(line.state, "done")
        # Done with the reply: the flag goes.
        self._reply_activities().action_done()
        self.env.invalidate_all()  # a computed flag: the next screen reads it anew
        self.assertFalse(self.customer.dunning_replied)

    def test_automatic_replies_do_not_pause(self):
        with freeze_time("2026-03-11 11:30:00"):
            delivered = self._reminder()
            for extra in (
                "Auto-Submitted: auto-replied\n",
                "X-Autoreply: yes\n",
                "X-Autorespond: Vacation\n",
                "Precedence: auto_reply\n",
            ):
                self.assertEqual(self._reply(delivered, extra), self.customer.id)
            self._gateway(
                REPLY.format(
                    to=REPLY_TO,
                    subject=delivered["Subject"],
                    reply_id=make_msgid(domain="acme.example.com"),
                    parent_id=delivered["Message-ID"],
                    extra="",
                ).replace("Subject: Re: ", "Subject: Automatic reply: ")
            )
        answers = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id),
             ("message_type", "=", "email")]
        )  # fmt: skip
        self.assertEqual(len(answers), 5, "Odoo keeps them on the chatter")
        self.assertFalse(self.customer.dunning_postpone_until)
        self.assertFalse(self._reply_activities())
        self.assertFalse(self.customer.dunning_replied)
        line = self._line_on("2026-03-13")
        self.assertEqual(line.state, "done")

    def test_staff_answer_in_the_thread_does_not_pause(self):
        with freeze_time("2026-03-11 11:30:00"):
            delivered = self._reminder()
            raw = REPLY.format(
                to=REPLY_TO,
                subject=delivered["Subject"],
                reply_id=make_msgid(domain="company-a.example.com"),
                parent_id=delivered["Message-ID"],
                extra="",
            ).replace('"Paula Payables" <payables@acme.example.com>', self.collector.email)
            self.assertEqual(self._gateway(raw), self.customer.id)
        self.assertFalse(self.customer.dunning_postpone_until)
        self.assertFalse(self._reply_activities())

    def test_no_pause_days_still_tells_the_collector(self):
        self.policy.reply_pause_days = 0
        with freeze_time("2026-03-11 11:30:00"):
            self._reply(self._reminder())
            self.assertFalse(self.customer.dunning_postpone_until)
            self.assertEqual(len(self._reply_activities()), 1)
            logged = self.env["dunning.event"].search(
                [("partner_id", "=", self.customer.id), ("channel", "=", "note")]
            )
            self.assertIn("Paula Payables replied on 03/11/2026", logged.reason)
        self.assertEqual(self._line_on("2026-03-13").state, "done")
