# Shared helpers for the project's commands; sourced, not run.
# The Odoo 19 runtime is a prerequisite: it must be importable by python3
# (see README.md, "Prerequisite: Odoo 19").
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
# Several checkouts may share one machine: the symlink folder and the databases carry
# a short tag derived from this checkout's path, so two checkouts never collide.
CHECKOUT_TAG="${DUNNING_CHECKOUT_TAG:-$(printf '%s' "$REPO_DIR" | sha1sum | cut -c1-8)}"
# Odoo loads a module from a folder named after it: the repository may be cloned
# under any name, so it is exposed as account_dunning through a symlink.
ADDON_LINK_DIR="${DUNNING_ADDON_LINK_DIR:-${TMPDIR:-/tmp}/account_dunning_addons_$CHECKOUT_TAG}"
ADDON_DIR="$ADDON_LINK_DIR/account_dunning"

die() {
    echo "ERROR: $*" >&2
    exit 1
}

odoo_root() {
    local version
    version=$("$PYTHON" -c "import odoo.release as r; print(r.version)" 2>/dev/null) \
        || die "python3 cannot import odoo. Install the Odoo 19 runtime first (README.md, 'Prerequisite: Odoo 19')."
    case "$version" in
        19.*) ;;
        *) die "python3 imports Odoo $version; this module needs Odoo 19." ;;
    esac
    "$PYTHON" -c "import os, odoo; print(os.path.dirname(os.path.abspath(odoo.__path__[0])))"
}

link_addon() {
    mkdir -p "$ADDON_LINK_DIR"
    ln -sfn "$REPO_DIR" "$ADDON_DIR"
}

addons_path() {
    local root="$1"
    echo "$root/addons,$root/odoo/addons,$ADDON_LINK_DIR"
}

require_postgres() {
    command -v pg_isready >/dev/null || die "pg_isready not found: install PostgreSQL (README.md, set-up)."
    pg_isready -q || die "PostgreSQL does not answer (pg_isready). Run 'bash scripts/setup.sh' to start it."
}

odoo_bin() {  # odoo_bin ROOT [odoo-bin arguments...]: odoo-bin, without a false alarm
    local root="$1"
    shift
    "$PYTHON" "$REPO_DIR/scripts/odoo_bin.py" "$root/odoo-bin" "$@"
}
