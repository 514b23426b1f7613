#!/usr/bin/env bash
# A collections day driven by a real odoo-bin server (scripts/server_day.py): its cron
# runner executes the daily run and the mail queue, mail goes to an SMTP server on
# 127.0.0.1, a manager executes review mode over XML-RPC, parallel self-service requests
# meet the hourly limit. Installs account_dunning in a database of its own
# (DUNNING_SERVER_DB, default account_dunning_server_<tag>), dropped at the end unless
# DUNNING_SERVER_KEEP_DB=1.
source "$(dirname "$0")/common.sh"
root="$(odoo_root)"
require_postgres
"$PYTHON" -c "import aiosmtpd" 2>/dev/null || die "aiosmtpd missing: run 'bash scripts/setup.sh'."
link_addon
addons="$(addons_path "$root")"
db="${DUNNING_SERVER_DB:-account_dunning_server_$CHECKOUT_TAG}"
dropdb --if-exists "$db"
createdb "$db" || die "cannot create database '$db'"
[ -n "${DUNNING_SERVER_KEEP_DB:-}" ] || trap 'dropdb --if-exists "$db"' EXIT
echo "== installing account_dunning in '$db'"
odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning \
    --stop-after-init --log-level=warn --no-http || die "install failed"
"$PYTHON" "$REPO_DIR/scripts/server_day.py" --database "$db" --addons-path "$addons" \
    --odoo-bin "$root/odoo-bin" "$@"
