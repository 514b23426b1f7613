from odoo import http
from odoo.http import content_disposition, request

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DunningStatement(http.Controller):
    """The statement of account as a spreadsheet, for a user who may read it (the
    statement checks the ledger's rights and the customer's record rules)."""

    @http.route(
        "/dunning/statement/<int:partner_id>/xlsx", type="http", auth="user", methods=["GET"]
    )
    def dunning_statement_xlsx(self, partner_id, **kwargs):
        partner = request.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise request.not_found()
        name, content = partner._dunning_statement_xlsx()
        return request.make_response(
            content,
            headers=[("Content-Type", XLSX), ("Content-Disposition", content_disposition(name))],
        )
