# The Odoo tests (TransactionCase, HttpCase), found by Odoo's own runner as well as by
# pytest-odoo. The pure tests of tools/ (test_tools_*.py: plain pytest and hypothesis)
# are left out of this package on purpose: pytest collects them from their files, and
# Odoo's runner (odoo-bin --test-enable) does not need pytest or hypothesis.
from . import test_install
from . import test_policy
from . import test_partner_figures
from . import test_security
from . import test_dunning_run_ladder
from . import test_dunning_run_rules
from . import test_handoff
from . import test_case_file
from . import test_recovery
from . import test_writeoff
from . import test_statement
from . import test_handoff_security
from . import test_payment_plan_wizard
from . import test_payment_plan_followup
from . import test_payment_plan_portal
from . import test_payment_plan_integrity
from . import test_translations
from . import test_engine
from . import test_late_charges
from . import test_tours
from . import test_views
from . import test_authority
from . import test_run_dates
from . import test_run_concurrency
from . import test_guardrails
from . import test_promise
from . import test_dispute
from . import test_call_wizard
from . import test_manual_postpone
from . import test_dunning_money
from . import test_run_queue
