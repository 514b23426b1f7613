#!/usr/bin/env bash
# Runs everything CI checks: lint, an install with demo data (its check, then an
# uninstall that must leave nothing behind), then a fresh install without demo data and
# the whole test suite through pytest-odoo. Every install, update and uninstall must be
# quiet (check_log).
# Extra arguments go to the final pytest call (e.g. -k payment_plan, -x).
# Environment: DUNNING_TEST_DB (database name), DUNNING_SKIP_DEMO=1 (skip the demo
# install), DUNNING_UPDATE_ONLY=1 (update the existing database instead of a fresh
# install: a development shortcut), DUNNING_ADDON_LINK_DIR (where the symlink lives),
# DUNNING_SKIP_SIM=1 (skip the small simulated year run after the full suite),
# DUNNING_SKIP_LINT=1 (development only: several people editing one tree),
# DUNNING_SKIP_SERVER=1 (skip the day driven by a real odoo-bin server),
# DUNNING_SKIP_WHEEL=1 (skip building the wheel and installing the module from it).
source "$(dirname "$0")/common.sh"

root="$(odoo_root)"
require_postgres
"$PYTHON" -c "import pytest_odoo, freezegun, hypothesis, websocket" 2>/dev/null \
    || die "test dependencies missing: run 'bash scripts/setup.sh'."
# Without a browser Odoo skips the tours (tests/test_tours.py) instead of failing them:
# CI must not pass without having run them.
command -v chromium >/dev/null || command -v google-chrome >/dev/null \
    || [ -n "${DUNNING_SKIP_TOURS:-}" ] \
    || die "chromium missing: run 'bash scripts/setup.sh' (or DUNNING_SKIP_TOURS=1 to skip the tours)."
link_addon
addons="$(addons_path "$root")"
db="${DUNNING_TEST_DB:-account_dunning_test_$CHECKOUT_TAG}"
log_level="${DUNNING_LOG_LEVEL:-warn}"

if [ -z "${DUNNING_SKIP_LINT:-}" ]; then
    echo "== lint"
    bash "$REPO_DIR/scripts/lint.sh"
fi

# The module must install and update quietly: a WARNING, ERROR or CRITICAL line that
# comes from the module (its logger) or names it fails the run. Odoo's own lines
# (e.g. docutils' "Unexpected indentation" for the mail module's description) do not.
check_log() {  # check_log LOGFILE DATABASE WHAT
    local noisy
    noisy="$(awk -v db="$2" '
        $4 ~ /^(WARNING|ERROR|CRITICAL)$/ {
            line = $0
            gsub(db, "<db>", line)  # the database name contains "account_dunning"
            if (line ~ /account_dunning/) print line
        }' "$1")"
    if [ -n "$noisy" ]; then
        printf '%s\n' "$noisy" >&2
        die "$3 of account_dunning logged the warnings or errors above (full log: $1)"
    fi
}

odoo_logged() {  # odoo_logged LOGFILE [odoo-bin arguments...]: output shown and kept
    local log="$1"
    shift
    odoo_bin "$root" "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

log_dir="$(mktemp -d "${TMPDIR:-/tmp}/account_dunning_logs_$CHECKOUT_TAG.XXXX")"

install_db() {  # install_db NAME MODULES [odoo options...]
    local name="$1" modules="$2"
    shift 2
    dropdb --if-exists "$name"
    echo "== install $modules in a fresh database '$name' $*"
    odoo_logged "$log_dir/install-$name.log" -d "$name" --addons-path="$addons" \
        -i "$modules" --stop-after-init --log-level="$log_level" --no-http "$@" \
        || die "installing account_dunning in '$name' failed"
    check_log "$log_dir/install-$name.log" "$name" "installing"
}

uninstall_db() {  # uninstall_db NAME: quietly, and nothing of the module left behind
    local name="$1" conf="$log_dir/uninstall-$1.conf" leftovers
    # odoo-bin module takes its addons path from a configuration file only.
    printf '[options]\naddons_path = %s\nlog_level = %s\n' "$addons" "$log_level" >"$conf"
    echo "== uninstall account_dunning from '$name'"
    odoo_logged "$log_dir/uninstall-$name.log" module uninstall -c "$conf" -d "$name" \
        account_dunning || die "uninstalling account_dunning from '$name' failed"
    check_log "$log_dir/uninstall-$name.log" "$name" "uninstalling"
    leftovers="$(psql -d "$name" -tAc "
        SELECT 'module state ' || state FROM ir_module_module
         WHERE name = 'account_dunning' AND state <> 'uninstalled'
        UNION ALL SELECT 'external id ' || model || ',' || res_id FROM ir_model_data
         WHERE module = 'account_dunning'
        UNION ALL SELECT 'model ' || model FROM ir_model WHERE model LIKE 'dunning.%'
        UNION ALL SELECT 'table ' || table_name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name LIKE 'dunning\_%'
        UNION ALL SELECT 'column ' || table_name || '.' || column_name
          FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name LIKE 'dunning\_%'")"
    [ -z "$leftovers" ] || die "uninstalling account_dunning left: $leftovers"
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
    install_db "${db}_demo" account_dunning --with-demo
    run_pytest "${db}_demo" "$ADDON_DIR/tests/test_install.py" -q
    uninstall_db "${db}_demo"
    dropdb --if-exists "${db}_demo"
fi

if [ -n "${DUNNING_UPDATE_ONLY:-}" ] && psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    # Development loop: update the module in the existing database (not for CI).
    echo "== update account_dunning in '$db'"
    odoo_logged "$log_dir/update-$db.log" -d "$db" --addons-path="$addons" -u account_dunning \
        --stop-after-init --log-level="$log_level" --no-http || die "updating '$db' failed"
    check_log "$log_dir/update-$db.log" "$db" "updating"
else
    # payment_demo, Odoo's demo payment provider, is a test dependency only: the
    # pay-now test pays a reminder's invoice with it (tests/test_pay_now.py).
    install_db "$db" account_dunning,payment_demo
fi
if [ $# -eq 0 ]; then
    # A good guest: some of Odoo's own accounting tests, with the module installed.
    echo "== Odoo's account tests with account_dunning installed (sample)"
    run_pytest "$db" "$root/addons/account/tests/test_account_tax.py" -q
fi
echo "== test suite"
run_pytest "$db" "$ADDON_DIR/tests" "$@"
if [ $# -eq 0 ]; then
    # The pure tests of tools/ under Odoo's own runner too (tests/pure.py): what pytest
    # just ran as functions, odoo-bin --test-enable runs as test cases.
    echo "== tools/ tests under Odoo's test runner"
    odoo_logged "$log_dir/odoo-runner-$db.log" -d "$db" --addons-path="$addons" --test-enable \
        --test-tags=/account_dunning:OdooRunner --stop-after-init --no-http --log-level=info \
        | grep -E "odoo.tests.result|post-tests" || true
    grep -qE "odoo.tests.result: 0 failed, 0 error\(s\) of [1-9][0-9]* tests" \
        "$log_dir/odoo-runner-$db.log" || die "tools/ tests failed under Odoo's runner (see $log_dir)"
fi
if [ $# -eq 0 ] && [ -z "${DUNNING_SKIP_SERVER:-}" ]; then
    # The day as production runs it: odoo-bin with its cron runner, a real SMTP server.
    echo "== a day driven by a real server (scripts/server_day.py)"
    bash "$REPO_DIR/scripts/server_day.sh"
fi
if [ $# -eq 0 ] && [ -z "${DUNNING_SKIP_WHEEL:-}" ]; then
    # Packaged as OCA publishes addons: the wheel builds, and Odoo installs the module
    # from the wheel's folder in a fresh database, without the repository.
    echo "== the wheel (scripts/wheel.sh)"
    bash "$REPO_DIR/scripts/wheel.sh"
fi
if [ $# -eq 0 ] && [ -z "${DUNNING_SKIP_SIM:-}" ]; then
    # Daily runs over a growing book, with their checks (scripts/simulate_year.py):
    # one message per customer and day, none about a paid invoice, no skipped rung.
    echo "== simulated year (small)"
    # 100 customers, not 200: on this shared 2-core machine 200 took 23 min (4 min CPU).
    bash "$REPO_DIR/scripts/simulate_year.sh" --days 60 --customers 100 --quiet
fi
rm -rf "$log_dir"  # kept when something failed before this line
