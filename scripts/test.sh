#!/usr/bin/env bash
# Runs everything CI checks: lint, an install with demo data (and its check), then a
# fresh install without demo data and the whole test suite through pytest-odoo.
# Extra arguments go to the final pytest call (e.g. -k payment_plan, -x).
# Environment: DUNNING_TEST_DB (database name), DUNNING_SKIP_DEMO=1 (skip the demo
# install), DUNNING_UPDATE_ONLY=1 (update the existing database instead of a fresh
# install: a development shortcut), DUNNING_ADDON_LINK_DIR (where the symlink lives),
# DUNNING_SKIP_SIM=1 (skip the small simulated year run after the full suite).
source "$(dirname "$0")/common.sh"

root="$(odoo_root)"
require_postgres
"$PYTHON" -c "import pytest_odoo, freezegun, hypothesis" 2>/dev/null \
    || die "test dependencies missing: run 'bash scripts/setup.sh'."
link_addon
addons="$(addons_path "$root")"
db="${DUNNING_TEST_DB:-account_dunning_test_$CHECKOUT_TAG}"
log_level="${DUNNING_LOG_LEVEL:-warn}"

echo "== lint"
bash "$REPO_DIR/scripts/lint.sh"

install_db() {  # install_db NAME [odoo options...]
    local name="$1"
    shift
    dropdb --if-exists "$name"
    echo "== install account_dunning in a fresh database '$name' $*"
    odoo_bin "$root" -d "$name" --addons-path="$addons" -i account_dunning \
        --stop-after-init --log-level="$log_level" --no-http "$@" \
        || die "installing account_dunning in '$name' failed"
}

run_pytest() {  # run_pytest DB [pytest args...]
    local name="$1"
    shift
    # Paths through the symlink, so that pytest names the test modules
    # odoo.addons.account_dunning.tests.* whatever the clone's folder is called.
    (cd "$ADDON_LINK_DIR" && "$PYTHON" -m pytest -p no:cacheprovider \
        --rootdir="$ADDON_DIR" -c "$ADDON_DIR/pyproject.toml" \
        --odoo-database="$name" --odoo-addons-path="$addons" --odoo-log-level=error \
        --odoo-http "$@")
}

if [ -z "${DUNNING_SKIP_DEMO:-}" ]; then
    install_db "${db}_demo" --with-demo
    run_pytest "${db}_demo" "$ADDON_DIR/tests/test_install.py" -q
    dropdb --if-exists "${db}_demo"
fi

if [ -n "${DUNNING_UPDATE_ONLY:-}" ] && psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    # Development loop: update the module in the existing database (not for CI).
    echo "== update account_dunning in '$db'"
    odoo_bin "$root" -d "$db" --addons-path="$addons" -u account_dunning \
        --stop-after-init --log-level="$log_level" --no-http || die "updating '$db' failed"
else
    install_db "$db"
fi
if [ $# -eq 0 ]; then
    # A good guest: some of Odoo's own accounting tests, with the module installed.
    echo "== Odoo's account tests with account_dunning installed (sample)"
    run_pytest "$db" "$root/addons/account/tests/test_account_tax.py" -q
fi
echo "== test suite"
run_pytest "$db" "$ADDON_DIR/tests" "$@"
if [ $# -eq 0 ] && [ -z "${DUNNING_SKIP_SIM:-}" ]; then
    # Daily runs over a growing book, with their checks (scripts/simulate_year.py):
    # one message per customer and day, none about a paid invoice, no skipped rung.
    echo "== simulated year (small)"
    # 100 customers, not 200: on this shared 2-core machine 200 took 23 min (4 min CPU).
    bash "$REPO_DIR/scripts/simulate_year.sh" --days 60 --customers 100 --quiet
fi
