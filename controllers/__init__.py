from . import portal
from . import dunning_opt_out
from . import portal_self_service
from . import dunning_statement
