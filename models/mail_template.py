import logging
import uuid

from lxml import html

from odoo import api, models

from .ir_qweb import forget_compiled

_logger = logging.getLogger(__name__)


class MailTemplate(models.Model):
    _name = "mail.template"
    _inherit = ["mail.template", "dunning.template.check"]

    _dunning_checked_fields = ("subject", "body_html")

    @api.onchange("subject", "body_html", "model_id")
    def _onchange_dunning_threats(self):
        warning = self._dunning_threat_warning()
        if warning:
            return {"warning": warning}
        return None

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """With ``dunning_batch_render`` in the context, a QWeb body is compiled once
        for all the records instead of once per record (Odoo parses and compiles the
        body again for each record: about a third of the time of a reminder).

        Each record is still rendered on its own, with fresh values, as by Odoo.
        Restricted rendering (a user who may not edit templates), a single record or
        any error: Odoo's own path, which names the failing record.
        """
        if (
            not self.env.context.get("dunning_batch_render")
            or not template_src
            or len(res_ids) < 2
            or not self._has_unsafe_expression_template_qweb(template_src, model)
            or self._dunning_render_is_restricted()
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        key = uuid.uuid4().hex
        root = html.fragment_fromstring(template_src, create_parent="div")
        qweb = self.env["ir.qweb"].with_context(dunning_compiled_key=key)
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        results = {}
        try:
            with self.env.cr.savepoint(flush=False):
                for record in self.env[model].browse(res_ids):
                    variables["object"] = record
                    # [5:-6]: the <div> wrapping the template's nodes, as Odoo does.
                    results[record.id] = qweb._render(root, variables, **(options or {}))[5:-6]
        except Exception:
            _logger.info("Batch rendering failed, rendering one by one", exc_info=True)
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        finally:
            forget_compiled(key)
        return results

    def _dunning_render_is_restricted(self):
        """As Odoo decides it in _render_template_qweb."""
        return (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )
