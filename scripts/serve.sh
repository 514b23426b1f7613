#!/usr/bin/env bash
# Starts Odoo on http://localhost:8069 with account_dunning and demo data.
# The database (account_dunning_demo) is created on the first call; log in as admin/admin.
source "$(dirname "$0")/common.sh"
root="$(odoo_root)"
require_postgres
link_addon
db="${DUNNING_DEMO_DB:-account_dunning_demo_$CHECKOUT_TAG}"
addons="$(addons_path "$root")"
if ! psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    echo "== creating '$db' with demo data (a minute or two)"
    odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning --with-demo \
        --stop-after-init --log-level=warn --no-http || die "install failed"
fi
echo "== Odoo on http://localhost:${DUNNING_PORT:-8069} (admin / admin):"
echo "   Invoicing > Customers > Collections"
exec "$PYTHON" "$REPO_DIR/scripts/odoo_bin.py" "$root/odoo-bin" -d "$db" --addons-path="$addons" --db-filter="^$db\$" \
    --http-interface=127.0.0.1 --http-port="${DUNNING_PORT:-8069}" --log-level=warn "$@"
