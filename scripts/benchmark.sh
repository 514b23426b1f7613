#!/usr/bin/env bash
# Benchmark of the daily run. Usage: bash scripts/benchmark.sh [N] [--execute-limit K] [--attach-pdf]
# Builds (once, then reuses) a database with N open invoices over N/5 customers.
source "$(dirname "$0")/common.sh"
root="$(odoo_root)"
require_postgres
link_addon
count="${1:-10000}"
shift || true
db="${DUNNING_BENCH_DB:-account_dunning_bench_$CHECKOUT_TAG}_$count"
addons="$(addons_path "$root")"
if ! psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    echo "== installing account_dunning in '$db'"
    odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning \
        --stop-after-init --log-level=warn --no-http || die "install failed"
fi
"$PYTHON" "$REPO_DIR/scripts/benchmark.py" --database "$db" --addons-path "$addons" \
    --invoices "$count" "$@"
