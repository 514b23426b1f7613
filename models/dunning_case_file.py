"""The case file handed to an agency or to legal: its data, CSV and PDF."""

import base64

from odoo import models

from ..tools.case_file import case_file_sections, sections_to_csv
from .dunning_case import HANDOFF_TYPES


class DunningCase(models.Model):
    _inherit = "dunning.case"

    # The case file: only what the case needs (GDPR minimisation, no other customer).

    def _get_case_file_data(self):
        """Everything the case file holds, as plain values, for the PDF and the CSV."""
        self.ensure_one()
        debtor = self.partner_id
        contact = debtor.with_company(self.company_id)._dunning_get_contact()
        invoices = self.move_ids.sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        events = self.env["dunning.event"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", debtor.id),
                ("move_ids", "in", invoices.ids),
                ("state", "=", "done"),
                ("channel", "in", ("email", "letter", "call", "note")),
            ],
            order="date, id",
        )
        # Write-offs are our bookkeeping, not the debtor's history.
        events -= (
            self.env["account.move"]
            .search([("dunning_writeoff_invoice_id", "in", invoices.ids)])
            .dunning_writeoff_event_id
        )
        channels = dict(
            self.env["dunning.event"]._fields["channel"]._description_selection(self.env)
        )

        def invoice_names(event):
            # In the order of the invoices table (oldest due first); only this case's.
            return ", ".join(invoices.filtered(lambda m: m in event.move_ids).mapped("name"))

        return {
            "case": {
                "name": self.name,
                "reference": self.reference or "",
                "type": dict(HANDOFF_TYPES)[self.handoff_type],
                "date": self.date,
                "creditor": self.company_id.name,
                "note": self.note or "",
            },
            "debtor": {
                "name": debtor.name or "",
                "street": debtor.street or "",
                "street2": debtor.street2 or "",
                "zip": debtor.zip or "",
                "city": debtor.city or "",
                "state": debtor.state_id.name or "",
                "country": debtor.country_id.name or "",
                "vat": debtor.vat or "",
            },
            "contact": {
                "name": contact.name or debtor.name or "",
                "email": contact.email or "",
                "phone": contact.phone or "",
            },
            "invoices": [
                {
                    "name": move.name,
                    "invoice_date": move.invoice_date,
                    "date_due": move.invoice_date_due,
                    "amount": move.amount_total,
                    "residual": move.amount_residual,
                    "currency": move.currency_id,
                    "currency_name": move.currency_id.name,
                    "digits": move.currency_id.decimal_places,
                }
                for move in invoices
            ],
            "history": [
                {
                    "date": event.date,
                    "channel": channels.get(event.channel, event.channel),
                    "level": event.level_id.name or "",
                    "invoices": invoice_names(event),
                }
                for event in events
                if event.channel != "note"
            ],
            "notes": [
                {"date": event.date, "invoices": invoice_names(event), "note": event.reason}
                for event in events
                if event.channel == "note" and event.reason
            ],
        }

    def _get_case_file_csv(self):
        self.ensure_one()
        return sections_to_csv(case_file_sections(self._get_case_file_data(), self.env._))

    def _build_case_file(self):
        """Render the case file (PDF and CSV) and attach both to the case."""
        self.ensure_one()
        report = self.env.ref("account_dunning.action_report_dunning_case")
        pdf, _report_type = (
            self.env["ir.actions.report"]
            .with_context(report_pdf_no_attachment=True)
            ._render_qweb_pdf(report.report_name, self.ids)
        )
        if isinstance(pdf, str):  # the HTML rendering that replaces the PDF in tests
            pdf = pdf.encode()
        basename = self.env._("Case file %(case)s", case=self.name).replace("/", "-")
        Attachment = self.env["ir.attachment"]
        common = {"res_model": self._name, "res_id": self.id, "type": "binary"}
        pdf_attachment = Attachment.create(
            {
                **common,
                "name": f"{basename}.pdf",
                "datas": base64.b64encode(pdf),
                "mimetype": "application/pdf",
            }
        )
        csv_attachment = Attachment.create(
            {
                **common,
                "name": f"{basename}.csv",
                # Excel opens UTF-8 with a byte order mark without mangling accents.
                "datas": base64.b64encode(self._get_case_file_csv().encode("utf-8-sig")),
                "mimetype": "text/csv",
            }
        )
        self.write({"case_file_pdf_id": pdf_attachment.id, "case_file_csv_id": csv_attachment.id})
        return pdf_attachment | csv_attachment
