#!/usr/bin/env bash
# Regenerates i18n/account_dunning.pot from the installed module (Odoo's own export:
# fields, views, templates, reports and code terms), then merges it into every
# i18n/*.po: new terms arrive untranslated, gone terms are dropped, translations of the
# terms that stay are kept, and each entry keeps the "#. module: account_dunning" header
# Odoo needs to load it. Ends with msgfmt --check on every file.
# Environment: DUNNING_I18N_DB (database name), DUNNING_UPDATE_ONLY=1 (update the
# existing database instead of a fresh install), DUNNING_ADDON_LINK_DIR.
source "$(dirname "$0")/common.sh"

root="$(odoo_root)"
require_postgres
for tool in msgmerge msgattrib msgfmt; do
    command -v "$tool" >/dev/null || die "$tool not found: install gettext (apt-get install gettext)."
done
link_addon
addons="$(addons_path "$root")"
db="${DUNNING_I18N_DB:-account_dunning_i18n_$CHECKOUT_TAG}"
i18n_dir="$REPO_DIR/i18n"
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/account_dunning_i18n_$CHECKOUT_TAG.XXXX")"
trap 'rm -rf "$work_dir"' EXIT

if [ -n "${DUNNING_UPDATE_ONLY:-}" ] && psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
    echo "== update account_dunning in '$db'"
    odoo_bin "$root" -d "$db" --addons-path="$addons" -u account_dunning --stop-after-init \
        --log-level=warn --no-http || die "updating account_dunning in '$db' failed"
else
    dropdb --if-exists "$db"
    echo "== install account_dunning in a fresh database '$db'"
    odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning --stop-after-init \
        --log-level=warn --no-http || die "installing account_dunning in '$db' failed"
fi

echo "== export the template"
# odoo-bin i18n takes its addons path from a configuration file only.
printf '[options]\naddons_path = %s\nlog_level = warn\n' "$addons" >"$work_dir/odoo.conf"
odoo_bin "$root" i18n export -c "$work_dir/odoo.conf" -d "$db" -l pot \
    -o "$work_dir/account_dunning.pot" account_dunning || die "exporting the template failed"
[ -s "$work_dir/account_dunning.pot" ] || die "the exported template is empty"
mv "$work_dir/account_dunning.pot" "$i18n_dir/account_dunning.pot"

for po in "$i18n_dir"/*.po; do
    echo "== merge into $(basename "$po")"
    # No fuzzy matching: a changed source arrives untranslated instead of carrying a
    # guess that Odoo would load as a translation. Gone terms are dropped (git keeps them).
    msgmerge --quiet --update --no-fuzzy-matching --backup=none "$po" "$i18n_dir/account_dunning.pot"
    msgattrib --no-obsolete --output-file="$po" "$po"
    # Odoo loads an entry only through its "#. module: <name>" header.
    missing="$(awk -v RS= 'NR > 1 && $0 !~ /(^|\n)#\. module: account_dunning(\n|$)/ {
        print; print ""}' "$po")"
    [ -z "$missing" ] || die "entries of $po without '#. module: account_dunning':
$missing"
    msgfmt --check --statistics --output-file=/dev/null "$po"
done
