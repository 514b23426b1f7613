#!/usr/bin/env bash
# Prepares this machine for the project: test dependencies, the system packages the
# module uses (wkhtmltopdf for PDFs), PostgreSQL running, and a database role for the
# current user. Safe to run again. The Odoo 19 runtime itself is a prerequisite.
source "$(dirname "$0")/common.sh"

"$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$REPO_DIR/requirements-test.txt"

if ! command -v wkhtmltopdf >/dev/null && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wkhtmltopdf >/dev/null \
        || echo "WARNING: wkhtmltopdf could not be installed: PDFs will not render outside tests." >&2
fi

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
