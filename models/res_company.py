from odoo import api, fields, models
from odoo.fields import Command

from ..tools.ladder import DEFAULT_LADDER

# How charts of accounts name the bad-debt expense account (English, French, German,
# Spanish, Portuguese), tried in this order.
BAD_DEBT_ACCOUNT_NAMES = (
    "bad debt",
    "doubtful",
    "irrécouvrable",
    "uneinbringlich",
    "Forderungsverlust",
    "incobrable",
    "incobráve",
    "perdas com créditos",
)


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_default_policy_id = fields.Many2one(
        "dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="Applies to customers that have no policy of their own.",
    )

    # Hand-off, recovery and write-off (issue #5)
    dunning_bad_debt_account_id = fields.Many2one(
        "account.account",
        string="Bad Debt Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="Debited when an uncollectable receivable is written off.",
    )
    dunning_writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Write-off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of bad-debt write-off entries. Empty: the first miscellaneous journal.",
    )

    # Late charges (issue #11)
    dunning_late_charge_account_id = fields.Many2one(
        "account.account",
        string="Late Charges Income Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Credited by the interest and compensation lines of late-charge invoices. "
        "Empty: the product's income account, else the sales journal's default account.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._dunning_ensure_default_policy()
        return companies

    def _dunning_address_line(self):
        """The company's postal address on one line, for its legal identity."""
        self.ensure_one()
        partner = self.partner_id
        parts = (partner.street, partner.street2, partner.zip, partner.city,
                 partner.state_id.name, partner.country_id.name)  # fmt: skip
        return ", ".join(part for part in parts if part)

    def _dunning_propose_bad_debt_account(self):
        """Where the chart of accounts has a bad-debt expense account, use it for
        write-offs (the write-off wizard and the run's preview say when none is set)."""
        Account = self.env["account.account"]
        for company in self.filtered(lambda c: not c.dunning_bad_debt_account_id):
            for name in BAD_DEBT_ACCOUNT_NAMES:
                account = Account.search(
                    [
                        *Account._check_company_domain(company),
                        ("account_type", "in", ("expense", "expense_other")),
                        ("name", "ilike", name),
                    ],
                    limit=1,
                )
                if account:
                    # sudo: a setting of the company's own collections, at install.
                    company.sudo().dunning_bad_debt_account_id = account
                    break

    def _dunning_ensure_default_policy(self):
        """Create the default ladder for companies that have no default policy yet."""
        Policy = self.env["dunning.policy"]
        for company in self.filtered(lambda c: not c.dunning_default_policy_id):
            # sudo: creating a company's own configuration on install or company
            # creation, done by whoever may create the company.
            policy = (
                Policy.sudo()
                .with_context(dunning_default_ladder=True)
                .create(
                    {
                        "name": self.env._("Standard collections"),
                        "company_id": company.id,
                        "level_ids": [
                            Command.create(company._dunning_level_values(seq, step))
                            for seq, step in enumerate(DEFAULT_LADDER, start=1)
                        ],
                    }
                )
            )
            company.sudo().dunning_default_policy_id = policy
            policy.level_ids._dunning_translate_default_names()

    def _dunning_level_values(self, sequence, step):
        """A level of the default ladder; its SMS is off until a manager turns it on
        (an SMS costs credits)."""
        template = self.env.ref(step.template_xmlid, raise_if_not_found=False)
        sms_xmlid = step.template_xmlid.replace(".mail_template_", ".sms_template_")
        sms_template = self.env.ref(sms_xmlid, raise_if_not_found=False)
        return {
            "sequence": sequence * 10,
            "name": step.name,
            "delay_days": step.delay_days,
            "tone": step.tone,
            "send_email": step.send_email and bool(template),
            "mail_template_id": template.id if template else False,
            "create_call": step.create_call,
            "send_letter": step.send_letter,
            "propose_handoff": step.propose_handoff,
            "sms_template_id": sms_template.id if sms_template else False,
        }

    def _dunning_get_writeoff_journal(self):
        """The journal of write-off entries: the configured one, else a general journal."""
        self.ensure_one()
        return self.dunning_writeoff_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self), ("type", "=", "general")],
            limit=1,
        )
