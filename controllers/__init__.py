from . import portal
from . import dunning_opt_out
