from . import dunning_handoff_wizard
from . import dunning_writeoff_wizard
