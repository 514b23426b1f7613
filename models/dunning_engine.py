import logging
import textwrap
import uuid
from collections import defaultdict

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import SQL, format_date
from odoo.tools.mail import html_to_inner_content

from ..tools.calendar import add_business_days
from ..tools.contact_hours import next_contact_time
from .mail_notification import CONTACT_FAILURES

_logger = logging.getLogger(__name__)


# Odoo's layout of its own notification emails (company logo, name, contact details).
LAYOUT = "mail.mail_notification_light"

# Where the record's name goes in a layout rendered once for many messages.
RECORD_NAME = "DunningRecordName7f3c9a"


class DunningEngine(models.AbstractModel):
    """The few primitives every collections flow acts through.

    The daily run, payment plans, hand-offs, write-offs, promises and disputes log,
    send and assign through these methods only, so that each thing is done one way:
    one history (append-only), one mail queue path, one choice of collector.
    Stages and levels of invoices change through ``account.move._dunning_set_stage``
    and ``account.move._dunning_set_level``.
    """

    _name = "dunning.engine"
    _description = "Collections Engine"

    # ------------------------------------------------------------------ history

    @api.model
    def _log(self, vals_list):
        """Add events to the collections history; returns them in the caller's env."""
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        # sudo: the history is append-only for people (no create/write right); the
        # values come from a flow the user was allowed to start, on records they read.
        events = self.env["dunning.event"].sudo().create(vals_list)
        return events.with_env(self.env)

    @api.model
    def _record_outcome(self, events, vals):
        """Complete logged events with their outcome (state, reason, message, activity,
        attachment): the only change the history accepts after the fact."""
        if events:
            # sudo: see _log; dunning.event.write() still refuses the frozen fields.
            events.sudo().write(vals)

    # ----------------------------------------------------------------- messages

    @api.model
    def _deliver(self, requests):
        """The one gateway of every message a customer or an agency receives: ladder
        email, SMS and letters, Send & Print and "send now", statements, thank-you,
        payment plan messages, hand-off notices, the agency's case file.

        ``requests``: dicts with ``channel`` (a kind of the channel registry:
        dunning.level.step._dunning_channels), ``event`` (the dunning.event of the
        message, logged by the flow; its outcome is written here), ``company``,
        ``policy``, ``customer`` (commercial partner; None: an agency), ``contact``
        (default: the customer's accounts-payable contact), ``override`` (a person's
        explicit send, or the reason to give: the one-message-a-day rule gives way,
        logged), and what the
        channel delivers: for an email, the keys of ``_send`` (template, record,
        rendered or subject/body, thread, attachments, email_to, layout); for an SMS,
        ``body`` and ``thread``; for a letter or a statement to print, ``attachments``
        and ``thread``.

        In one place for all: the contact's opt-out of the channel, what it needs to be
        reached (a failure gives the collector one "Fix contact" task), one message per
        customer, company and day (the steps of one run line are one message), contact
        hours in the contact's time zone (email and SMS wait in Odoo's queues), the
        recipient, one event per message whose state then follows the delivery
        (mail.notification). Returns one status per request: ``sent``, ``unreachable``
        (opted out, or missing what the channel needs) or ``limited`` (the day's
        message went already)."""
        channels = self.env["dunning.level.step"]._dunning_channels()
        statuses = [None] * len(requests)
        customers = self.env["res.partner"].browse(
            {r["customer"].commercial_partner_id.id for r in requests if r.get("customer")}
        )
        contacts = customers._dunning_get_contacts() if customers else {}
        today = fields.Date.context_today(self)
        messaged = {}
        for company, day in {(r["company"], r["event"].date or today) for r in requests}:
            messaged[company, day] = self._messaged_conversations(customers, day, company)
        sending = defaultdict(list)  # channel -> [(index, request)]
        for index, request in enumerate(requests):
            channel = channels.get(request["channel"])
            event = request["event"]
            customer = request.get("customer")
            customer = customer.commercial_partner_id if customer else customer
            if customer and not request.get("contact"):
                request["contact"] = contacts[customer.id]
            contact = request.get("contact") or self.env["res.partner"]
            block = channel and customer and contact._dunning_channel_block(channel, customer)
            if block:
                state, reason, fix = block
                self._record_outcome(event, {"state": state, "reason": reason})
                if fix:
                    self._schedule_fix_contact(
                        customer,
                        event.collector_id or self._get_collector(customer, request["company"]),
                        fields.Date.context_today(self),
                        reason,
                        need=channel.needs,
                    )
                statuses[index] = "unreachable"
                continue
            conversation = event.run_line_id.id or event.id
            key = (request["company"], event.date or today)
            if customer and channel and channel.customer_facing:
                others = messaged[key].get(customer.id, set()) - {conversation}
                if others and not request.get("override"):
                    self._record_outcome(
                        event,
                        {
                            "state": "skipped",
                            "reason": self.env._(
                                "Not sent today: the customer already got a message from us "
                                "today (one message per customer and day). It goes on a "
                                "later day."
                            ),
                        },
                    )
                    statuses[index] = "limited"
                    continue
                if others:
                    self._record_outcome(
                        event,
                        {
                            "reason": "\n".join(
                                filter(
                                    None,
                                    (
                                        event.reason,
                                        request["override"]
                                        if isinstance(request["override"], str)
                                        else self.env._(
                                            "Sent by %(user)s although the customer already "
                                            "got a message from us today.",
                                            user=self.env.user.name,
                                        ),
                                    ),
                                )
                            )
                        },
                    )
                messaged[key].setdefault(customer.id, set()).add(conversation)
            sending[request["channel"]].append((index, request))
        for kind, pending in sending.items():
            channel = channels[kind]
            transport = self.env[channel.transport]
            getattr(transport, f"_dunning_deliver_{channel.delivery or kind}")(
                [request for _index, request in pending]
            )
            for index, request in pending:
                statuses[index] = "sent"
                outcome = {
                    "is_customer_message": bool(request.get("customer") and channel.customer_facing)
                }
                if request["event"].state != "failed":  # a transport may fail at once
                    outcome["state"] = "done"
                self._record_outcome(request["event"], outcome)
        return statuses

    # ----------------------------------------------------------------- languages

    @api.model
    def _customer_lang(self, contact, company=None):
        """The language a customer or agency reads (messages, documents and their file
        names, invoice lines, its pages): the contact's, else its company's, else ours."""
        contact = contact[:1]
        return (
            contact.lang
            or contact.commercial_partner_id.lang
            or (company or self.env.company).partner_id.lang
            or "en_US"
        )

    @api.model
    def _staff_lang(self, company=None, user=None):
        """The language staff read (events, activities, notes, notifications): the user
        acting or assigned, unless a public visitor or the scheduler, else the
        company's."""
        user = user or self.env.user
        if user and not user._is_public() and not user._is_superuser() and user.lang:
            return user.lang
        return (company or self.env.company).partner_id.lang or "en_US"

    @api.model
    def _dunning_deliver_email(self, requests):
        """Emails through the mail queue (see _send); their events get the message."""
        messages = []
        for request in requests:
            message = {
                key: request[key]
                for key in (
                    "template", "record", "rendered", "subject", "body", "thread",
                    "attachments", "email_to", "policy", "company", "layout",
                    "layout_description",
                )
                if key in request
            }  # fmt: skip
            contact = request.get("contact") or self.env["res.partner"]
            message.setdefault("record", request["event"])
            message["recipients"] = contact
            message["contact"] = contact
            message["note"] = request["event"]._dunning_chatter_note(contact)
            opt_out = request["event"]._get_opt_out_url() if request.get("customer") else ""
            if opt_out:
                # RFC 2369 and 8058: the mail client's own unsubscribe button, one click.
                message["headers"] = {
                    "List-Unsubscribe": f"<{opt_out}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                }
            messages.append(message)
        for request, message in zip(requests, self._send(messages), strict=True):
            self._record_outcome(request["event"], {"message_id": message.id})

    @api.model
    def _dunning_deliver_sms(self, requests):
        """SMS through Odoo's own _message_sms on the customer: the SMS queue sends it,
        held in mail.message.schedule until the contact hours open; its delivery status
        is the message's notification."""
        for request in requests:
            contact = request["contact"]
            customer = request["customer"].commercial_partner_id
            holder = contact if contact.phone else customer
            number = holder._dunning_sms_number()
            when = self._dunning_contact_time(contact or holder, request.get("policy"),
                                              request["company"])  # fmt: skip
            # sudo: posting on a customer needs the right to edit it, which a collections
            # user may not have; the body is the level's template rendered on the event.
            message = (
                request.get("thread", customer)
                .sudo()
                ._message_sms(
                    request["body"],
                    partner_ids=holder.ids,
                    sms_pid_to_number={holder.id: number},
                    scheduled_date=when or False,
                    put_in_queue=True,  # Odoo's SMS queue sends it, as mail.mail's
                )
            )
            self._record_outcome(
                request["event"],
                {"message_id": message.id, "reason": request["event"].reason or number},
            )

    @api.model
    def _dunning_deliver_print(self, requests):
        """A letter or a statement to print and post: left in the customer's chatter
        for the person who posts the mail (the event keeps the document)."""
        for request in requests:
            thread = request.get("thread") or request["customer"].commercial_partner_id
            note = self._post_note(thread, request["note"], request.get("attachments"))
            self._record_outcome(request["event"], {"message_id": note.id})

    @api.model
    def _dunning_delivery_failed(self, notifications):
        """Odoo could not deliver these notifications (a bounce, an invalid address or
        number, a refused SMS): the events of their messages fail with Odoo's reason,
        and the collector gets the one "Fix contact" task when the contact is wrong."""
        # sudo: the delivery status comes from Odoo's queues (often the scheduler or
        # the mail gateway), the events follow it; nothing else is read or written.
        events = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("message_id", "in", notifications.mail_message_id.ids),
                    ("state", "=", "done"),
                ]
            )
        )
        if not events:
            return events
        Notification = self.env["mail.notification"]
        labels = dict(Notification._fields["failure_type"]._description_selection(self.env))
        for event in events:
            notification = notifications.filtered(
                lambda n, e=event: n.mail_message_id == e.message_id
            )[:1]
            why = notification.failure_reason or labels.get(notification.failure_type) or ""
            reason = self.env._(
                "Not delivered to %(recipient)s: %(why)s",
                recipient=notification.res_partner_id.display_name or notification.sms_number or "",
                why=why,
            )
            self._record_outcome(
                event,
                {"state": "failed", "reason": "\n".join(filter(None, (event.reason, reason)))},
            )
            if notification.failure_type in CONTACT_FAILURES and event.is_customer_message:
                customer = event.partner_id
                self._schedule_fix_contact(
                    customer,
                    event.collector_id or self._get_collector(customer, event.company_id),
                    fields.Date.context_today(self),
                    reason,
                    need="bounce"
                    if notification.failure_type == "mail_bounce"
                    else {"sms": "phone", "snail": "address"}.get(
                        notification.notification_type, "email"
                    ),
                )
        return events

    @api.model
    def _dunning_customer_replied(self, references, message_dict, automatic=False):
        """A reply that Odoo's mail gateway routed by its ``references`` (Message-IDs):
        when it answers one of our messages to a customer and a person outside the
        company wrote it, the customer's ladder pauses for the policy's
        ``reply_pause_days`` working days (the customer's postponement, the one
        pause the run reads), logged, and the collector gets one "Customer replied"
        activity while it is open. An automatic reply (out of office) changes nothing.
        Returns the event answered, or an empty recordset."""
        # sudo: the gateway runs as whoever fetches mail; what is read and written is
        # the customer's collections state, for a reply Odoo routed to its thread.
        Event = self.env["dunning.event"].sudo()
        event = Event.search(
            [("message_id.message_id", "in", references), ("is_customer_message", "=", True)],
            order="id desc",
            limit=1,
        )
        author = self.env["res.partner"].sudo().browse(message_dict.get("author_id") or [])
        if not event or automatic or author.user_ids.filtered(lambda u: not u.share):
            return Event
        company = event.company_id
        customer = event.partner_id.commercial_partner_id.sudo().with_company(company)
        collector = event.collector_id or self._get_collector(customer, company)
        engine = self.sudo().with_company(company)
        staff = engine.with_context(lang=self._staff_lang(company, collector))
        today = fields.Date.context_today(self)
        policy = customer._dunning_get_policy()
        days = policy.reply_pause_days if policy else 0
        until = add_business_days(today, days) if days else False
        who = author.display_name or message_dict.get("email_from") or customer.display_name
        subject = message_dict.get("subject") or ""
        reason = staff.env._(
            "%(who)s replied on %(date)s to the message of %(sent)s: %(subject)s",
            who=who,
            date=format_date(staff.env, today),
            sent=format_date(staff.env, event.date),
            subject=subject,
        )
        postponed = customer.dunning_postpone_until
        if until and not (postponed and postponed >= until):
            # The customer's postponement (res.partner.write logs it in the history):
            # the run skips the customer until then, the preview says why.
            customer.with_context(lang=staff.env.lang).write(
                {"dunning_postpone_until": until, "dunning_postpone_reason": reason}
            )
        else:
            staff._log(
                {
                    "company_id": company.id,
                    "partner_id": customer.id,
                    "channel": "note",
                    "reason": reason,
                }
            )
        reply_type = self.env.ref("account_dunning.mail_activity_type_dunning_reply")
        if customer.id not in customer._dunning_replied_ids():
            note = Markup("<p>%s</p>") % reason
            if until:
                note += Markup("<p>%s</p>") % staff.env._(
                    "Reminders paused until %(date)s.", date=format_date(staff.env, until)
                )
            staff._schedule(
                customer,
                staff.env._("Customer replied"),
                note,
                collector,
                today,
                activity_type=reply_type,
            )
        return event

    @api.model
    def _messaged_conversations(self, customers, day, company):
        """{customer id: {conversation}} of the customers messaged on ``day`` by
        ``company``: a conversation is a run line (its steps are one message) or a
        single event."""
        if not customers:
            return {}
        # sudo: reading who was messaged, nothing of the events themselves.
        events = (
            self.env["dunning.event"]
            .sudo()
            .search_fetch(
                [
                    ("date", "=", day),
                    ("company_id", "=", company.id),
                    ("state", "=", "done"),
                    ("is_customer_message", "=", True),
                    ("partner_id", "in", customers.ids),
                ],
                ["partner_id", "run_line_id"],
            )
        )
        result = defaultdict(set)
        for event in events:
            result[event.partner_id.id].add(event.run_line_id.id or event.id)
        return result

    @api.model
    def _send(self, messages):
        """Queue messages in the mail queue, one mail.mail each, posted in a chatter.

        ``messages``: dicts with ``template`` and ``record`` (what the template renders)
        or ready ``subject``/``body``; ``thread`` (the record whose chatter shows the
        message), ``recipients`` (res.partner), optional ``attachments``
        (ir.attachment), ``email_to`` (an address that is no contact, e.g. an agency's
        case inbox), ``policy`` (sender, reply-to, copies, contact hours), ``company``,
        optional ``contact`` (whose time zone sets the contact hours; default: the first
        recipient), ``layout`` (default: Odoo's light layout; False: the bare body),
        ``layout_description`` (what the layout's header calls the document). A
        message created outside the contact hours waits in the queue
        (``scheduled_date``) for the window to open in the contact's time zone.
        The outgoing email is the body in the layout; the chatter keeps the body.
        Like mail.template.send_mail(), one mail.mail carries both the outgoing email
        and the chatter message; all are created in one call. Returns the mail.message
        of each, in order.
        """
        if not messages:
            return []
        rendered = self._render_messages(messages)
        # Contact hours: held in the queue until the window opens for the contact.
        scheduled = self._dunning_scheduled_dates(messages)
        email_bodies = self._dunning_layout_bodies(messages, rendered)
        vals_list = []
        for message, values, scheduled_date, email_body in zip(
            messages, rendered, scheduled, email_bodies, strict=True
        ):
            company = message["company"]
            policy = message.get("policy")
            sender = (policy and policy._get_sender()) or company.email_formatted
            thread = message["thread"]
            attachments = message.get("attachments") or self.env["ir.attachment"]
            attachments |= self._attachments_from_report(values, thread)
            vals_list.append(
                {
                    "subject": values["subject"],
                    "body_html": email_body,
                    # The chatter keeps a short note (what, to whom, how much) that
                    # the chatter's width shows whole; the email is the full message.
                    "body": message.get("note") or values["body_html"],
                    "email_from": sender,
                    "reply_to": (policy and policy.reply_to) or sender,
                    "email_cc": (policy and policy.email_cc) or False,
                    "recipient_ids": [Command.set(message["recipients"].ids)],
                    "email_to": message.get("email_to") or False,
                    "model": thread._name,
                    "res_id": thread.id,
                    "record_company_id": company.id,
                    "message_type": "comment",
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
                    "author_id": company.partner_id.id,
                    "attachment_ids": [Command.set(attachments.ids)],
                    "auto_delete": False,
                    # The mail notifies its message's recipients: Odoo's queue then
                    # writes the delivery status on their notifications, and deleting
                    # the mail keeps the message.
                    "is_notification": True,
                    "scheduled_date": scheduled_date,
                    "headers": repr(message["headers"]) if message.get("headers") else False,
                }
            )
        # sudo: mail.mail is reserved to administrators; every value comes from the
        # module's templates rendered with the user's rights on records they can read.
        mails = self.env["mail.mail"].sudo().create(vals_list)
        # Delivery status in the chatter (sent, bounced), as Odoo's notifications do:
        # one mail.notification per recipient, updated by the mail queue.
        # sudo: creating notifications is the purpose of sending, as in mail.thread.
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": vals["author_id"],
                    "mail_message_id": mail.mail_message_id.id,
                    "mail_mail_id": mail.id,
                    "res_partner_id": partner_id,
                    "notification_type": "email",
                    "notification_status": "ready",
                    "is_read": True,  # no Inbox notification
                }
                for mail, vals, message in zip(mails, vals_list, messages, strict=True)
                for partner_id in message["recipients"].ids
            ]
        )
        self._dunning_wake_queue("mail.ir_cron_mail_scheduler_action", scheduled)
        return [mail.mail_message_id.with_env(self.env) for mail in mails]

    @api.model
    def _render_messages(self, messages):
        """Subject and body of each message: one render per template for all."""
        results = [message.get("rendered") for message in messages]
        by_template = defaultdict(list)
        for index, message in enumerate(messages):
            if results[index] is None:
                if "template" in message:
                    by_template[message["template"]].append(index)
                else:
                    results[index] = {"subject": message["subject"], "body_html": message["body"]}
        for template, indexes in by_template.items():
            render_fields = ["subject", "body_html", "lang"]
            if template.report_template_ids:
                render_fields.append("report_template_ids")
            res_ids = [messages[index]["record"].id for index in indexes]
            values = template.with_context(dunning_batch_render=True)._generate_template(
                res_ids, render_fields
            )
            for index in indexes:
                results[index] = values[messages[index]["record"].id]
        return results

    @api.model
    def _dunning_layout_bodies(self, messages, rendered):
        """The body of each outgoing email in Odoo's light layout (company logo, name
        and contact details, as Odoo's own notification emails), or the bare body for
        a message with ``layout`` False. The layout is rendered once per company,
        language and kind of thread for the whole batch, with markers where the body,
        its preview and the record name go; the chatter keeps the bare body."""
        frames = {}
        bodies = []
        for message, values in zip(messages, rendered, strict=True):
            layout = message.get("layout", LAYOUT)
            if not layout:
                bodies.append(values["body_html"])
                continue
            body = values["body_html"]
            if "template" not in message:  # a template's rendering made them already
                # Absolute links, as Odoo's layout makes them around a body.
                body = self.env["mail.render.mixin"]._replace_local_links(body)
            thread = message["thread"]
            lang = values.get("lang") or message["recipients"][:1].lang or self.env.lang
            description = message.get("layout_description") or False
            key = (layout, message["company"].id, lang, thread._name, description)
            if key not in frames:
                frames[key] = self._dunning_layout_frame(
                    layout, message["company"], lang, thread._name, description
                )
            frame = frames[key]
            name = escape((thread.display_name or "").replace("/", "-"))
            if frame is None:  # a layout without the expected slots: one render each
                bodies.append(
                    self.env["mail.render.mixin"]
                    .with_context(lang=lang)
                    ._render_encapsulate(
                        layout,
                        body,
                        add_context={"company": message["company"]},
                        context_record=thread.with_context(lang=lang),
                    )
                )
                continue
            # Odoo's preview (mail.message), from the start of the text only.
            preview = escape(textwrap.shorten(html_to_inner_content(body)[:2000], 190))
            before, middle, after = (part.replace(RECORD_NAME, name) for part in frame)
            bodies.append(Markup("").join((before, preview, middle, Markup(body), after)))
        return bodies

    @api.model
    def _dunning_layout_frame(self, layout, company, lang, model, description):
        """The layout around a body: (before preview, between preview and body, after
        body), or None when the layout does not show the body and its preview once."""
        marker = f"DunningBody{uuid.uuid4().hex}"
        message = self.env["mail.message"].sudo().new({"body": Markup(marker), "model": model})
        html = (
            self.env["mail.render.mixin"]
            .with_context(lang=lang)
            ._render_encapsulate(
                layout,
                Markup(marker),
                add_context={
                    "company": company,
                    "message": message,
                    "model_description": description
                    or self.env["ir.model"]._get(model).with_context(lang=lang).display_name,
                    "record_name": RECORD_NAME,
                },
            )
        )
        parts = str(html).split(marker)
        if len(parts) != 3:
            return None
        return tuple(Markup(part) for part in parts)

    @api.model
    def _attachments_from_report(self, values, thread):
        """Attachments for the PDFs a template's reports produced (e.g. an agreement)."""
        reports = values.get("attachments") or []
        if not reports:
            return self.env["ir.attachment"]
        # sudo: attaching to a record needs the right to edit it (a customer, for a
        # collections user who may not); the documents were rendered with the user's
        # rights and go with the message posted on that record.
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": name,
                        "datas": content,
                        "res_model": thread._name,
                        "res_id": thread.id,
                    }
                    for name, content in reports
                ]
            )
            .with_env(self.env)
        )

    @api.model
    def _messaged_on(self, partners, day, company=None):
        """The customers (commercial partner ids) who got a message from ``company``
        (default: the current one) on ``day``: one message per customer and day,
        whatever the flow (see _deliver)."""
        if not partners:
            return set()
        return set(
            self._messaged_conversations(
                partners.commercial_partner_id, day, company or self.env.company
            )
        )

    # --------------------------------------------------------------- assignment

    @api.model
    def _get_collectors(self, partners, company, policy_of=None, level_of=None, fallback=None):
        """Who follows each customer: {partner id: res.users}.

        In order: the customer's collector, the user a level names for its calls, the
        policy's default collector, ``fallback`` (the person acting, or a plan's
        responsible), then the company's first collections manager. Never an archived
        or portal user: such a choice passes to the next in line.
        """
        first_manager = None
        collectors = {}
        allowed = {}  # {user id: may collect}: a few users for thousands of customers

        def can_collect(user):
            if user.id not in allowed:
                allowed[user.id] = self._can_collect(user)
            return allowed[user.id]

        for partner in partners.with_company(company):
            policy = policy_of(partner) if policy_of else partner._dunning_get_policy()
            level = level_of(partner) if level_of else None
            candidates = (
                partner.commercial_partner_id.dunning_collector_id,
                level and level.call_assignee == "user" and level.call_user_id,
                policy and policy.default_collector_id,
                fallback,
            )
            user = next((u for u in candidates if u and can_collect(u)), None)
            if user is None:
                if first_manager is None:
                    first_manager = self._first_manager(company)
                user = first_manager
            collectors[partner.id] = user
        return collectors

    @api.model
    def _get_collector(self, partner, company, policy=None, level=None, fallback=None):
        return self._get_collectors(
            partner,
            company,
            policy_of=(lambda _p: policy) if policy is not None else None,
            level_of=(lambda _p: level) if level is not None else None,
            fallback=fallback,
        )[partner.id]

    @api.model
    def _can_collect(self, user):
        # sudo: reading whether a user is archived or a portal user, nothing else.
        user = user.sudo()
        return bool(user.active and not user.share and user.id != self.env.ref("base.user_root").id)

    @api.model
    def _first_manager(self, company):
        """The company's first active collections manager, for unassigned work."""
        return self.env["res.users"].search(
            [
                ("group_ids", "in", self.env.ref("account_dunning.group_dunning_manager").id),
                ("company_ids", "in", company.id),
                ("share", "=", False),
                ("id", "!=", self.env.ref("base.user_root").id),
            ],
            order="id",
            limit=1,
        )

    @api.model
    def _default_fallback_collector(self):
        """The person acting by hand collects; the scheduler (superuser) does not."""
        user = self.env.user
        return user if not user._is_superuser() and user._is_internal() else None

    # --------------------------------------------------------------- activities

    @api.model
    def _schedule(self, records, summary, note, user, date_deadline, *, activity_type=None):
        """A collections activity on each record (customer, plan, case) for ``user``."""
        activity_type = activity_type or self.env.ref(
            "account_dunning.mail_activity_type_dunning_todo"
        )
        records.check_access("read")
        # sudo: a collections user follows customers they may read without the right
        # to edit them (no "Contact Creation"), and an activity needs that right; the
        # type, user, text and date come from the collections flow calling this.
        return (
            self.env["mail.activity"]
            .sudo()
            .create(
                [
                    {
                        "res_model_id": self.env["ir.model"]._get_id(record._name),
                        "res_id": record.id,
                        "activity_type_id": activity_type.id,
                        "summary": summary,
                        "note": note,
                        "user_id": user.id,
                        "date_deadline": date_deadline,
                    }
                    for record in records
                ]
            )
            .with_env(self.env)
        )

    @api.model
    def _post_note(self, record, body, attachments=None):
        """An internal note in a record's chatter (e.g. a letter or a statement to print),
        by the person acting."""
        record.check_access("read")
        # sudo: posting needs the right to edit the record, which a collections user
        # may not have on a customer; the note and its documents come from the flow.
        return (
            record.sudo()
            .message_post(
                body=body,
                attachment_ids=(attachments or self.env["ir.attachment"]).ids,
                subtype_xmlid="mail.mt_note",
            )
            .with_env(self.env)
        )

    @api.model
    def _log_notes(self, records, bodies):
        """Internal notes on many records at once ({record id: body}), as
        mail.thread._message_log_batch() writes them: same author, subtype, type and
        message id. Returns the mail.message ids.

        The first note goes through the ORM (Odoo's own _message_log_batch); the others
        are copied from it in one INSERT with their record and body, each distinct body
        sanitised once as the ORM would. Through the ORM, each message costs a
        sanitising and an update of every inverse of ``res_id`` (one per mail.thread
        model): 1.2 ms per note, four notes per reminder on average.
        """
        if not bodies:
            return []
        record_ids = list(bodies)
        first = records.browse(record_ids[0])._message_log_batch(
            {record_ids[0]: bodies[record_ids[0]]}
        )
        if len(record_ids) == 1:
            return first.ids
        messages = self.env["mail.message"]
        body_field = messages._fields["body"]
        sanitized = {}
        for body in bodies.values():
            if body not in sanitized:  # plain text escaped, as _message_log_batch does
                sanitized[body] = str(body_field.convert_to_cache(escape(body), messages) or "")
        messages.flush_model()
        columns = [
            name
            for name, field in messages._fields.items()
            if field.store and field.column_type and name not in ("id", "res_id", "body")
        ]
        self.env.cr.execute(
            SQL(
                """INSERT INTO mail_message (%(columns)s, res_id, body)
                   SELECT %(values)s, note.res_id, note.body
                     FROM mail_message prototype,
                          unnest(%(res_ids)s::int[], %(bodies)s::text[]) AS note(res_id, body)
                    WHERE prototype.id = %(prototype)s
                RETURNING id""",
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                values=SQL(", ").join(SQL.identifier("prototype", name) for name in columns),
                res_ids=record_ids[1:],
                bodies=[sanitized[bodies[record_id]] for record_id in record_ids[1:]],
                prototype=first.id,
            )
        )
        note_ids = first.ids + [row[0] for row in self.env.cr.fetchall()]
        records.browse(record_ids).invalidate_recordset(
            ["message_ids", "message_needaction", "message_needaction_counter"]
        )
        return note_ids

    @api.model
    def _schedule_fix_contact(self, partner, user, date_deadline, reason, need="email"):
        """One open 'Fix contact' task per customer, whatever the number of failures
        (a missing email address, a wrong phone number, an incomplete postal address:
        ``need``, as Channel.needs; "bounce": an email address that bounced)."""
        customer = partner.commercial_partner_id
        summaries = {
            "email": self.env._("Fix contact: no email address for reminders"),
            "bounce": self.env._("Fix contact: the email address bounced"),
            "phone": self.env._("Fix contact: wrong phone number"),
            "address": self.env._("Fix contact: no complete postal address"),
        }
        summary = summaries.get(need, summaries["email"])
        pending = self.env["mail.activity"].search_count(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("summary", "in", list(summaries.values())),
            ],
            limit=1,
        )
        if pending:
            return self.env["mail.activity"]
        return self._schedule(customer, summary, Markup("<p>%s</p>") % reason, user, date_deadline)

    @api.model
    def _dunning_contact_time(self, contact, policy, company, now=None):
        """When a message to ``contact`` may go out: None now, else the UTC opening of
        the policy's window in the contact's time zone (naive, as Odoo stores it)."""
        if not contact:
            return None
        now = now or fields.Datetime.now()
        start, end = (policy or company.dunning_default_policy_id)._dunning_contact_window()
        when = next_contact_time(now, contact[:1]._dunning_contact_tz(company), start, end)
        return when if when > now else None

    @api.model
    def _dunning_scheduled_dates(self, messages):
        """The ``scheduled_date`` of each message for ``_send``: from its ``contact`` or
        its first recipient; False to send now (messages to no contact, e.g. an
        agency's case inbox, are not held)."""
        now = fields.Datetime.now()
        return [
            self._dunning_contact_time(
                message.get("contact") or message["recipients"][:1],
                message.get("policy"),
                message["company"],
                now,
            )
            or False
            for message in messages
        ]

    @api.model
    def _dunning_wake_queue(self, cron_xmlid, dates):
        """The queue's scheduled action runs again when held messages may go."""
        dates = sorted({date for date in dates if date})
        if dates:
            # sudo: scheduling a run of Odoo's own queue action, nothing else.
            self.env.ref(cron_xmlid).sudo()._trigger(dates)
