from lxml import etree

from odoo import models

# {(key, cache keys of the context): compiled template}: the raw templates (etree) that a
# batch render compiles once for all its records; emptied when the batch ends.
_COMPILED = {}


def forget_compiled(key):
    for cache_key in [cache_key for cache_key in _COMPILED if cache_key[0] == key]:
        _COMPILED.pop(cache_key, None)


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """Odoo compiles a raw (etree) template at each render; within a batch render
        (``dunning_compiled_key`` in the context, see mail.template), once."""
        key = self.env.context.get("dunning_compiled_key")
        if not key or not isinstance(template, etree._Element):
            return super()._compile(template)
        cache_key = (
            key,
            tuple(self.env.context.get(name) or False for name in self._get_template_cache_keys()),
        )
        if cache_key not in _COMPILED:
            _COMPILED[cache_key] = super()._compile(template)
        return _COMPILED[cache_key]
