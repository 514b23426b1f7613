#!/usr/bin/env bash
# A simulated year of daily runs with its checks (scripts/simulate_year.py).
# Usage: bash scripts/simulate_year.sh [--days N] [--customers C] [--seed S] [--keep-db] [--quiet]
# Installs account_dunning in a database of its own (DUNNING_SIM_DB, default
# account_dunning_sim_<tag>), created here and dropped at the end unless --keep-db.
# The simulation commits day by day: it refuses to use a database that already exists.
source "$(dirname "$0")/common.sh"
root="$(odoo_root)"
require_postgres
"$PYTHON" -c "import freezegun" 2>/dev/null \
    || die "freezegun missing: run 'bash scripts/setup.sh'."
link_addon
addons="$(addons_path "$root")"
db="${DUNNING_SIM_DB:-account_dunning_sim_$CHECKOUT_TAG}"
keep=""
for arg in "$@"; do
    [ "$arg" = "--keep-db" ] && keep=1
done
if psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    die "database '$db' already exists (kept by an earlier --keep-db?): drop it yourself (dropdb $db) or set DUNNING_SIM_DB"
fi
createdb "$db" || die "cannot create database '$db'"
cleanup() {
    if [ -z "$keep" ]; then
        dropdb --if-exists "$db"
    else
        echo "== database '$db' kept"
    fi
}
trap cleanup EXIT
echo "== installing account_dunning in '$db'"
started=$SECONDS
odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning \
    --stop-after-init --log-level=warn --no-http || die "install failed"
echo "   installed in $((SECONDS - started)) s"
"$PYTHON" "$REPO_DIR/scripts/simulate_year.py" --database "$db" --addons-path "$addons" "$@"
