#!/usr/bin/env bash
# ruff (lint + format check), pylint-odoo's mandatory checks, XML well-formedness and
# the OCA readme fragments. .pre-commit-config.yaml runs this same script; nothing
# here needs the network (the tools come from requirements-test.txt).
source "$(dirname "$0")/common.sh"
cd "$REPO_DIR"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
link_addon
(cd "$ADDON_LINK_DIR" && "$PYTHON" -m pylint --rcfile="$REPO_DIR/.pylintrc" account_dunning)
"$PYTHON" - <<'PY'
import pathlib
import sys

from lxml import etree

problems = []
for path in sorted(pathlib.Path(".").rglob("*.xml")):
    if ".git" in path.parts:
        continue
    try:
        etree.parse(str(path))
    except etree.XMLSyntaxError as error:
        problems.append(f"{path}: {error}")
# OCA's readme generator builds README.rst from these fragments.
for name in ("DESCRIPTION", "USAGE", "CONFIGURE", "CONTRIBUTORS", "HISTORY"):
    if not pathlib.Path("readme", f"{name}.md").is_file():
        problems.append(f"readme/{name}.md is missing")
if problems:
    sys.exit("\n".join(problems))
PY
echo "lint: clean"
