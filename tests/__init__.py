from . import test_install
from . import test_policy
from . import test_partner_figures
from . import test_security
from . import test_tools_payment_schedule
from . import test_payment_plan_wizard
from . import test_payment_plan_followup
from . import test_payment_plan_portal
