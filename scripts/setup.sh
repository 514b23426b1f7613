#!/usr/bin/env bash
# Prepares this machine for the project: test dependencies, the system packages the
# module uses (wkhtmltopdf for PDFs), PostgreSQL running, and a database role for the
# current user. Safe to run again. The Odoo 19 runtime itself is a prerequisite.
source "$(dirname "$0")/common.sh"

"$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$REPO_DIR/requirements-test.txt"

# System packages, each only when missing (apt-get update once, and only if needed):
# wkhtmltopdf renders the PDFs; chromium runs the browser tours (tests/test_tours.py)
# and the screenshot script; poppler-utils (pdfinfo, pdftotext) reads the PDFs the
# tests render (tests/test_payment_plan_integrity.py). Odoo looks chromium up on PATH (odoo.tests.common
# _find_executable) and starts it headless with --no-sandbox, so it runs as root.
apt_updated=""
apt_install() {  # apt_install COMMAND PACKAGE WHY
    command -v "$1" >/dev/null && return 0
    if ! command -v apt-get >/dev/null; then
        echo "WARNING: $1 is missing and apt-get is not available: $3." >&2
        return 0
    fi
    if [ -z "$apt_updated" ]; then
        apt-get update -qq || true
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null \
        || echo "WARNING: $2 could not be installed: $3." >&2
}
apt_install wkhtmltopdf wkhtmltopdf "PDFs will not render outside tests"
apt_install chromium chromium "the browser tours and screenshots cannot run"
apt_install pdfinfo poppler-utils "the tests that read rendered PDFs fail"

if command -v pg_isready >/dev/null && ! pg_isready -q; then
    if command -v pg_ctlcluster >/dev/null; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    else
        die "PostgreSQL is not running and this script does not know how to start it here."
    fi
    for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
fi
require_postgres

role="$(id -un)"
if ! psql -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$role'" 2>/dev/null | grep -q 1; then
    # Needs a superuser connection; on Debian that is the postgres system user.
    if command -v runuser >/dev/null && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- createuser --createdb "$role"
    else
        die "cannot create the PostgreSQL role '$role': create it with CREATEDB yourself."
    fi
fi

root="$(odoo_root)"
link_addon
echo "Ready: Odoo $("$PYTHON" -c 'import odoo.release as r; print(r.version)') at $root, PostgreSQL up, role '$role'."
