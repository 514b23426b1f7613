from . import test_install
from . import test_policy
from . import test_tools_ladder
from . import test_tools_planning
from . import test_partner_figures
from . import test_security
from . import test_dunning_run_ladder
from . import test_dunning_run_rules
