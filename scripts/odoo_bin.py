"""Runs Odoo's odoo-bin (first argument) with the remaining arguments, minus one false
alarm: when Odoo is installed with ``pip install -e`` (as the README's prerequisite
says), setuptools' editable finder adds a placeholder entry
(``__editable__.odoo-19.0.finder.__path_hook__``) to the ``odoo.addons`` namespace
path. Odoo reads every entry of that path as an addons folder and logs "addons path is
not a directory" for it, twice per start. The entry is not a folder and holds no module,
so dropping it changes nothing else; the install log then only shows real problems.
"""

import os
import runpy
import sys

# As odoo-bin does first, before anything imports the time module.
os.environ["TZ"] = "UTC"

import odoo.addons

namespace_path = getattr(odoo.addons.__path__, "_path", None)
if isinstance(namespace_path, list):
    namespace_path[:] = [entry for entry in namespace_path if os.path.isdir(entry)]

sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
