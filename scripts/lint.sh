#!/usr/bin/env bash
# ruff (lint + format check) and pylint-odoo's mandatory checks.
source "$(dirname "$0")/common.sh"
cd "$REPO_DIR"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
link_addon
(cd "$ADDON_LINK_DIR" && "$PYTHON" -m pylint --rcfile="$REPO_DIR/.pylintrc" account_dunning)
echo "lint: clean"
