#!/usr/bin/env bash
# Packages the module as OCA publishes addons and proves the package works: whool builds
# the wheel odoo-addon-account_dunning from pyproject.toml and the manifest, pip installs
# it into a temporary folder (--target: never into the shared site-packages), and Odoo
# installs account_dunning into a fresh database from that folder alone: the addons path
# holds Odoo's own addons and the wheel's odoo/addons, not the repository. Checks the
# module is installed and that the server imported it from the wheel's folder.
# The database (DUNNING_WHEEL_DB, default account_dunning_wheel_<tag>) and the temporary
# folders are dropped at the end. Option: --dist DIR keeps a copy of the wheel in DIR.
source "$(dirname "$0")/common.sh"

dist_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dist)
            [ $# -ge 2 ] || die "--dist needs a folder"
            dist_dir="$2"
            shift 2
            ;;
        *) die "unknown argument '$1' (usage: scripts/wheel.sh [--dist DIR])" ;;
    esac
done

root="$(odoo_root)"
require_postgres
"$PYTHON" -c "import whool" 2>/dev/null || die "whool missing: run 'bash scripts/setup.sh'."
db="${DUNNING_WHEEL_DB:-account_dunning_wheel_$CHECKOUT_TAG}"
work="$(mktemp -d "${TMPDIR:-/tmp}/account_dunning_wheel_$CHECKOUT_TAG.XXXX")"
cleanup() {
    dropdb --if-exists "$db" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# 1. The addon's files, in a folder named account_dunning: whool names the package after
# the folder it builds (the clone may have any name) and, outside git, packs the whole
# folder. Only files under git control go in (as whool itself does in a clone), minus
# what belongs to the repository rather than to the addon: the project's scripts, its
# docs, CI and tool settings. pyproject.toml goes in for whool, which leaves it out of
# the wheel.
stage="$work/src/account_dunning"
mkdir -p "$stage"
(
    cd "$REPO_DIR"
    git ls-files -z | while IFS= read -r -d '' file; do
        case "$file" in
            scripts/* | docs/* | .* | */.* | requirements-test.txt) continue ;;
        esac
        # A tracked file deleted in the working tree is simply not packed.
        if [ -e "$file" ]; then printf '%s\0' "$file"; fi
    done | tar --null -T - -cf - | tar -xf - -C "$stage"
) || die "could not copy the addon's files to $stage"
[ -f "$stage/__manifest__.py" ] || die "no __manifest__.py under git control in $REPO_DIR"

# 2. The wheel. No build isolation: whool comes from requirements-test.txt, so the build
# needs no network.
echo "== building the wheel"
(cd "$work/src" && "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation --wheel-dir "$work/dist" ./account_dunning) \
    || die "building the wheel failed (whool, see above)"
wheel=""
for candidate in "$work"/dist/odoo_addon_account_dunning-*.whl; do
    [ -f "$candidate" ] && wheel="$candidate"
done
[ -n "$wheel" ] || die "no odoo_addon_account_dunning-*.whl in $work/dist: $(ls "$work/dist")"
echo "   $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

# Its contents: the addon under odoo/addons/account_dunning and the package metadata,
# nothing of git, no compiled files, none of the repository's own tooling.
"$PYTHON" - "$wheel" <<'PY' || die "the wheel's contents are wrong (see above)"
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
prefix = "odoo/addons/account_dunning/"
problems = [
    name
    for name in names
    if not (name.startswith(prefix) or name.split("/")[0].endswith(".dist-info"))
    or any(part in {".git", "__pycache__", "scripts", "docs"} for part in name.split("/"))
    or name.endswith((".pyc", "pyproject.toml"))
]
for required in ("__manifest__.py", "__init__.py", "models/__init__.py", "tests/__init__.py"):
    if prefix + required not in names:
        problems.append(f"missing {prefix}{required}")
if problems:
    sys.exit("unexpected in the wheel: " + ", ".join(problems[:20]))
print(f"   {len(names)} files, all under {prefix} or the .dist-info")
PY

# 3. Installed as a user would (pip), but into a folder of its own.
echo "== pip install of the wheel into $work/site"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --no-deps --no-index --target "$work/site" "$wheel" \
    || die "pip could not install $(basename "$wheel")"
wheel_addons="$work/site/odoo/addons"
[ -f "$wheel_addons/account_dunning/__manifest__.py" ] \
    || die "pip installed no odoo/addons/account_dunning under $work/site"
if [ -n "$dist_dir" ]; then
    mkdir -p "$dist_dir" && cp "$wheel" "$dist_dir/" || die "could not copy the wheel to $dist_dir"
    echo "   kept a copy in $dist_dir"
fi

# 4. Odoo installs the module from the wheel's folder only.
addons="$root/addons,$root/odoo/addons,$wheel_addons"
dropdb --if-exists "$db"
echo "== installing account_dunning in '$db' from the wheel (addons path: $addons)"
odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning --stop-after-init \
    --log-level=warn --no-http || die "installing account_dunning from the wheel failed"
state="$(psql -d "$db" -tAc "SELECT state FROM ir_module_module WHERE name = 'account_dunning'")"
[ "$state" = installed ] || die "account_dunning is '${state:-absent}' in '$db', not installed"

# The server's own answer to "where is account_dunning": the file it imported, and the
# path its manifest lookup gives. Both must be in the wheel's folder.
where="$(printf '%s\n' \
    "import odoo.addons.account_dunning as m" \
    "from odoo.modules.module import get_module_path" \
    "print('FILE', m.__file__)" \
    "print('PATH', get_module_path('account_dunning'))" \
    | odoo_bin "$root" shell -d "$db" --addons-path="$addons" --log-level=warn --no-http \
        2>&1)" || die "odoo-bin shell failed: $where"
file="$(printf '%s\n' "$where" | sed -n 's/^FILE //p')"
path="$(printf '%s\n' "$where" | sed -n 's/^PATH //p')"
[ "$file" = "$wheel_addons/account_dunning/__init__.py" ] \
    || die "the server imported account_dunning from '${file:-?}', not from the wheel" \
        "($wheel_addons): $where"
[ "$path" = "$wheel_addons/account_dunning" ] \
    || die "Odoo finds account_dunning at '${path:-?}', not in the wheel ($wheel_addons)"
echo "wheel: $(basename "$wheel") installs; Odoo loaded account_dunning from $path"
