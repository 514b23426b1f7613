{
    "name": "Collections (Dunning)",
    "summary": "Escalation ladder for unpaid customer invoices: reminders, calls, "
    "letters, payment plans, agency and legal hand-off",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/account-dunning/account_dunning",
    "author": "account_dunning contributors",
    "license": "AGPL-3",
    "depends": ["account", "mail", "portal"],
    "data": [
        "security/account_dunning_security.xml",
        "security/ir.model.access.csv",
        "security/ir_rules.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "views/dunning_policy_views.xml",
        "views/dunning_event_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/account_dunning_menus.xml",
    ],
    "demo": [
        "demo/account_dunning_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": False,
}
