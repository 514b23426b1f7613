from odoo import fields, models
from odoo.tools import SQL

# Who reads a customer's collections figures: those who read its receivable (the groups
# of Odoo's own res.partner.credit) and the collections users.
DUNNING_FIGURES_GROUPS = (
    "account.group_account_invoice,account.group_account_readonly,"
    "account_dunning.group_dunning_user"
)
# Collections decisions on a customer or an agency: every collections user reads them,
# only a collections manager sets them (see _has_field_access).
DUNNING_MANAGER_FIELDS = frozenset(
    {
        "dunning_credit_hold",
        "dunning_excluded",
        "dunning_exclusion_reason",
        "dunning_agency_commission",
        "dunning_agency_email",
    }
)

# Collections settings of a customer or contact, on the Collections tab and the email
# flags that only collections users see: set by collections users, not by every
# employee who edits contacts (see _has_field_access).
DUNNING_USER_FIELDS = frozenset(
    {
        "dunning_policy_id",
        "dunning_collector_id",
        "dunning_contact_id",
        "dunning_reminder_mode",
        "dunning_postpone_until",
        "dunning_postpone_reason",
        "dunning_email_opt_out",
        "dunning_email_is_workplace",
        "dunning_is_consumer",
        "dunning_statement_monthly",
    }
)
# Written by the scheduled actions only (shown read-only).
DUNNING_SYSTEM_FIELDS = frozenset({"dunning_statement_last_date"})


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        company_dependent=True,
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        help="Empty: the company's default policy.",
    )
    dunning_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain="[('share', '=', False)]",
        help="Who follows this customer's collections and gets its calls. Empty: the "
        "policy's default collector.",
    )
    dunning_contact_id = fields.Many2one(
        "res.partner",
        string="Accounts Payable Contact",
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
        help="Who receives dunning messages. Empty: the invoice address, else the customer itself.",
    )
    dunning_excluded = fields.Boolean(string="Excluded from Collections", company_dependent=True)
    dunning_exclusion_reason = fields.Char(string="Exclusion Reason", company_dependent=True)
    dunning_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_dunning_figures",
    )
    dunning_balance = fields.Monetary(
        groups=DUNNING_FIGURES_GROUPS,
        string="Receivable Balance",
        compute="_compute_dunning_figures",
        currency_field="dunning_currency_id",
        help="Open receivable net of credit notes and unallocated payments (company currency).",
    )
    dunning_overdue_amount = fields.Monetary(
        groups=DUNNING_FIGURES_GROUPS,
        string="Overdue Amount",
        compute="_compute_dunning_figures",
        currency_field="dunning_currency_id",
        search="_search_dunning_overdue_amount",
        help="Open receivable past its due date, net of credit notes and unallocated "
        "payments (company currency).",
    )
    dunning_oldest_overdue_days = fields.Integer(
        groups=DUNNING_FIGURES_GROUPS,
        string="Days Overdue",
        compute="_compute_dunning_figures",
        help="Age past due of the oldest unpaid customer invoice. Other open receivable "
        "items (miscellaneous entries, credit notes, payments) count in the amounts only.",
    )
    dunning_max_level_id = fields.Many2one(
        "dunning.level", string="Current Level", compute="_compute_dunning_figures"
    )
    dunning_next_date = fields.Date(string="Next Step", compute="_compute_dunning_figures")
    dunning_event_count = fields.Integer(compute="_compute_dunning_event_count")

    # Hand-off (issue #5): collection agencies and credit hold
    dunning_is_agency = fields.Boolean(
        string="Collection Agency",
        help="This contact collects debts for us: it can receive hand-offs.",
    )
    dunning_agency_commission = fields.Float(
        string="Agency Commission (%)",
        digits=(5, 2),
        help="Share of every amount it recovers that the agency invoices us.",
    )
    dunning_agency_email = fields.Char(
        string="Case Files Email",
        help="Where hand-offs and case files are sent. Empty: the contact's email.",
    )
    dunning_credit_hold = fields.Boolean(
        string="Credit Hold",
        company_dependent=True,
        help="No new sale on credit to this customer: a warning shows on its new invoices.",
    )
    dunning_case_count = fields.Integer(compute="_compute_dunning_case_count")

    # Payment plans (issue #4)
    dunning_payment_plan_count = fields.Integer(compute="_compute_dunning_payment_plan_count")

    _dunning_agency_commission_range = models.Constraint(
        "CHECK(dunning_agency_commission >= 0 AND dunning_agency_commission <= 100)",
        "An agency's commission is a percentage between 0 and 100.",
    )

    def write(self, vals):
        res = super().write(vals)
        if {"dunning_excluded", "dunning_policy_id"} & set(vals):
            # The next step of their invoices follows (company of the write).
            self.env["account.move"]._dunning_recompute_next_dates(
                [
                    ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        return res

    def _has_field_access(self, field, operation):
        # Write access to the collections decisions is a manager's; reading them stays
        # open (the credit-hold banner, the Collections tab). Checked by the ORM on every
        # write() and create(), and shown read-only in the forms of other users.
        if operation == "write" and not self.env.su:
            if field.name in DUNNING_SYSTEM_FIELDS:
                return False
            if field.name in DUNNING_MANAGER_FIELDS and not self.env.user.has_group(
                "account_dunning.group_dunning_manager"
            ):
                return False
            if field.name in DUNNING_USER_FIELDS and not self.env.user.has_group(
                "account_dunning.group_dunning_user"
            ):
                return False
        return super()._has_field_access(field, operation)

    def _dunning_receivable_query(self, overdue=False):
        """SQL filter on account_move_line for this company's open receivable lines."""
        today = fields.Date.context_today(self)
        return SQL(
            """account_move_line.parent_state = 'posted'
           AND account_move_line.reconciled IS NOT TRUE
           AND account_move_line.company_id = %(company)s
           AND account_move_line.account_id IN (
                 SELECT id FROM account_account WHERE account_type = 'asset_receivable')
           AND %(overdue)s""",
            company=self.env.company.id,
            overdue=SQL("COALESCE(account_move_line.date_maturity, account_move_line.date)"
                        " < %s", today) if overdue else SQL("TRUE"),
        )  # fmt: skip

    def _compute_dunning_figures(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        balances = dict.fromkeys(commercial.ids, 0.0)
        overdue = dict.fromkeys(commercial.ids, 0.0)
        oldest = dict.fromkeys(commercial.ids, 0)
        if commercial.ids:
            self.env["account.move.line"].flush_model(
                ["account_id", "amount_residual", "company_id", "parent_state",
                 "partner_id", "reconciled", "date_maturity", "date", "move_id"]
            )  # fmt: skip
            self.env["account.move"].flush_model(["move_type"])
            today = fields.Date.context_today(self)
            rows = self.env.execute_query(
                SQL(
                    """SELECT account_move_line.partner_id,
                          SUM(account_move_line.amount_residual),
                          SUM(account_move_line.amount_residual) FILTER (WHERE %(due)s),
                          MAX(%(today)s - COALESCE(account_move_line.date_maturity,
                                                   account_move_line.date))
                              FILTER (WHERE %(due)s AND account_move_line.amount_residual > 0
                                      AND dunning_move.move_type IN %(invoice_types)s)
                     FROM account_move_line
                     JOIN account_move dunning_move ON dunning_move.id = account_move_line.move_id
                    WHERE account_move_line.partner_id IN %(partners)s AND %(open)s
                 GROUP BY account_move_line.partner_id""",
                    due=SQL("COALESCE(account_move_line.date_maturity, "
                            "account_move_line.date) < %s", today),
                    today=today,
                    # The age is that of the oldest unpaid invoice (or receipt): other
                    # open receivable lines (a misc entry and the one that offsets it
                    # without reconciliation, an opening balance) count in the amounts,
                    # not in the age.
                    invoice_types=("out_invoice", "out_receipt"),
                    partners=tuple(commercial.ids),
                    open=self._dunning_receivable_query(),
                )
            )  # fmt: skip
            for partner_id, balance, overdue_sum, days in rows:
                balances[partner_id] = balance or 0.0
                overdue[partner_id] = overdue_sum or 0.0
                oldest[partner_id] = days or 0
        levels, next_dates = self._dunning_invoice_levels(commercial)
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.dunning_currency_id = company.currency_id
            partner.dunning_balance = balances.get(key, 0.0)
            partner.dunning_overdue_amount = overdue.get(key, 0.0)
            partner.dunning_oldest_overdue_days = oldest.get(key, 0)
            partner.dunning_max_level_id = levels.get(key, False)
            partner.dunning_next_date = next_dates.get(key, False)

    def _dunning_invoice_levels(self, commercial):
        """Highest level reached and next step date per customer, over open invoices."""
        if not commercial:
            return {}, {}
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            ["commercial_partner_id"],
            ["dunning_level_id:array_agg", "dunning_next_date:min"],
        )
        levels, next_dates = {}, {}
        for partner, level_ids, next_date in groups:
            reached = self.env["dunning.level"].browse(filter(None, level_ids))
            if reached:
                levels[partner.id] = max(reached, key=lambda lvl: (lvl.delay_days, lvl.id))
            next_dates[partner.id] = next_date
        return levels, next_dates

    def _search_dunning_overdue_amount(self, operator, value):
        if operator not in ("<", "<=", ">", ">=", "=", "!="):
            return NotImplemented
        # The raw query below reads the receivable directly: filtering by the overdue
        # amount is reading it, for the same groups.
        self._check_field_access(self._fields["dunning_overdue_amount"], "read")
        sql_operator = SQL(operator if operator != "=" else "=")
        overdue_partners = SQL(
            """SELECT account_move_line.partner_id
                 FROM account_move_line
                WHERE %(open)s
             GROUP BY account_move_line.partner_id
               HAVING SUM(account_move_line.amount_residual) %(op)s %(value)s""",
            open=self._dunning_receivable_query(overdue=True),
            op=sql_operator,
            value=value or 0.0,
        )
        return [("commercial_partner_id", "in", overdue_partners)]

    def _compute_dunning_event_count(self):
        counts = dict(
            self.env["dunning.event"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_event_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_dunning_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_by_date": 0}
        return action

    def _dunning_open_invoices_domain(self):
        """Domain of this customer's open, posted invoices in the current company."""
        return [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]

    def _dunning_get_policy(self):
        """The policy that applies to this customer in the current company."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner.dunning_policy_id or self.env.company.dunning_default_policy_id

    def _dunning_get_contact(self):
        self.ensure_one()
        return self._dunning_get_contacts()[self.id]

    def _dunning_get_contacts(self):
        """Who receives each customer's dunning messages: the accounts-payable contact,
        else the invoice address, else the customer itself; the first of them with an
        email address. Returns {partner id: contact}, in four queries for any number."""
        self.fetch(["commercial_partner_id"])
        commercial = self.commercial_partner_id
        commercial.fetch(["dunning_contact_id"])
        invoice_addresses = {}
        for child in self.search_fetch(
            [("parent_id", "in", commercial.ids), ("type", "=", "invoice")],
            ["parent_id"],
            order="id desc",
        ):
            invoice_addresses[child.parent_id.id] = child.id
        # By ids: recordset unions per customer cost more than the rest of a plan.
        candidates_of = {}
        for customer in commercial:
            ids = (customer.dunning_contact_id.id, invoice_addresses.get(customer.id), customer.id)
            candidates_of[customer.id] = list(dict.fromkeys(i for i in ids if i))
        candidates = self.browse({i for ids in candidates_of.values() for i in ids})
        candidates.fetch(["email"])
        has_email = {contact.id: bool(contact.email) for contact in candidates}
        contacts = {}
        for partner in self:
            ids = candidates_of[partner.commercial_partner_id.id]
            contacts[partner.id] = self.browse(next((i for i in ids if has_email[i]), ids[0]))
        return contacts

    def action_dunning_send_now(self):
        """Send the customers their reminder now, through the daily run's engine."""
        run = self.env["dunning.run"]._dunning_create_reminder_run(self)
        run.action_execute()
        done = run.line_ids.filtered(lambda line: line.state == "done")
        if not run.line_ids:
            message = self.env._("Nothing to remind: no open invoice is due.")
        else:
            message = "\n".join(
                f"{line.partner_id.display_name}: {line._describe()}" for line in run.line_ids
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collections"),
                "message": message,
                "type": "success" if done else "warning",
                "sticky": not done,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _compute_dunning_case_count(self):
        counts = dict(
            self.env["dunning.case"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_case_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_dunning_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_case"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def _dunning_get_agency_email(self):
        """Where case files go: the agency's case email, else its email."""
        self.ensure_one()
        return self.dunning_agency_email or self.email

    def _compute_dunning_payment_plan_count(self):
        counts = dict(
            self.env["dunning.payment.plan"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.dunning_payment_plan_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        plans = self.env["dunning.payment.plan"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        return plans._dunning_open_action()
