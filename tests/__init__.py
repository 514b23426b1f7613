from . import test_install
from . import test_policy
from . import test_partner_figures
from . import test_security
