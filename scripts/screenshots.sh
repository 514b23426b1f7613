#!/usr/bin/env bash
# Retakes the pictures of README.md and the Apps page (static/description/*.png) from
# the running module: a fresh database with demo data (dropped and recreated on every
# call, so the pictures show the demo as of today), Odoo on a free localhost port,
# headless Chromium (installed by setup.sh). See scripts/screenshots.py for the list.
# Environment: DUNNING_SHOTS_DB (database name; dropped when done).
source "$(dirname "$0")/common.sh"
root="$(odoo_root)"
require_postgres
link_addon
command -v chromium >/dev/null || die "chromium missing: run 'bash scripts/setup.sh'."
db="${DUNNING_SHOTS_DB:-account_dunning_shots_$CHECKOUT_TAG}"
addons="$(addons_path "$root")"
dropdb --if-exists "$db"
echo "== creating '$db' with demo data (a minute or two)"
odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning --with-demo \
    --stop-after-init --log-level=warn --no-http || die "install failed"
"$PYTHON" "$REPO_DIR/scripts/screenshots.py" --odoo-bin "$root/odoo-bin" --database "$db" \
    --addons-path "$addons" --out "$REPO_DIR/static/description" "$@"
# Recreated on every call: no need to keep it on a shared machine.
dropdb --if-exists "$db"
echo "== done: look at static/description/*.png before committing them"
