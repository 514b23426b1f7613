def post_init_hook(env):
    """Give every existing company its default policy (new ones get it on create)."""
    env["res.company"].search([])._dunning_ensure_default_policy()
