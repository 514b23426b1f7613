#!/usr/bin/env bash
# Benchmark of the daily run.
#   bash scripts/benchmark.sh [N] [--execute-limit K] [--attach-pdf] [--profile]
#       [--without-sanitizer]
#       one process, one database with N open invoices over N/5 customers (built once);
#   bash scripts/benchmark.sh N --compare-oca [--sizes 1000,10000] [--repeat R] [--oca-timeout S]
#       account_dunning against OCA's account_credit_control on identical copies;
#   bash scripts/benchmark.sh --sizes 1000,10000,100000 [--repeat R]
#       our scheduled run at each size: the cost per customer must stay flat;
#   bash scripts/benchmark.sh N --workers 1,2
#       the run executed by OCA's queue_job with K Odoo workers, checked for duplicates.
# OCA's modules (and queue_job's library) are installed by pip OUTSIDE the repository,
# in the benchmark's own folder, and only the benchmark's databases load them.
source "$(dirname "$0")/common.sh"
root="$(odoo_root)"
require_postgres
link_addon
addons="$(addons_path "$root")"

count=10000
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    count="$1"
    shift
fi
mode="" sizes="" extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --compare-oca) mode=compare ;;
        --sizes) sizes="$2"; shift ;;
        --workers) mode=workers; extra+=(--workers "$2"); shift ;;
        --repeat) extra+=(--repeat "$2"); shift ;;
        --oca-timeout) extra+=(--oca-timeout "$2"); shift ;;
        *) break ;;
    esac
    shift
done
[ -n "$sizes" ] && [ -z "$mode" ] && mode=sizes

if [ -z "$mode" ]; then
    db="${DUNNING_BENCH_DB:-account_dunning_bench_$CHECKOUT_TAG}_$count"
    if ! psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
        echo "== installing account_dunning in '$db'"
        odoo_bin "$root" -d "$db" --addons-path="$addons" -i account_dunning \
            --stop-after-init --log-level=warn --no-http || die "install failed"
    fi
    exec "$PYTHON" "$REPO_DIR/scripts/benchmark.py" --database "$db" --addons-path "$addons" \
        --invoices "$count" "$@"
fi
[ $# -eq 0 ] || die "unknown option: $1"

# OCA's published packages, never a dependency of the module: pip installs them with
# --no-deps (Odoo is already there) into a folder of this checkout outside the repository.
bench_dir="${DUNNING_BENCH_ADDONS:-${TMPDIR:-/tmp}/account_dunning_bench_addons_$CHECKOUT_TAG}"
if [ ! -d "$bench_dir/odoo/addons/account_credit_control" ] || [ ! -d "$bench_dir/odoo/addons/queue_job" ]; then
    echo "== pip install OCA's account_credit_control and queue_job 19.0 into $bench_dir"
    "$PYTHON" -m pip install -q --no-deps --target "$bench_dir" \
        "odoo-addon-account-credit-control>=19.0,<19.1" "odoo-addon-queue-job>=19.0,<19.1" \
        || die "pip could not install OCA's modules"
fi
if [ ! -d "$bench_dir/python/openupgradelib" ]; then
    # queue_job's only library missing here; apart, so it shadows nothing of Odoo's.
    "$PYTHON" -m pip install -q --no-deps --target "$bench_dir/python" openupgradelib \
        || die "pip could not install openupgradelib (needed by queue_job)"
fi
if [ "$mode" = workers ] && ! "$PYTHON" -c "import gevent.monkey; gevent.monkey.patch_all()" 2>/dev/null; then
    # The servers' long-polling process patches with gevent, whose plugin check asks
    # pkg_resources for zope.interface and zope.event by their dotted names; their
    # dist-info folders here carry normalised names that old pkg_resources misses, so
    # the process would die and respawn in a loop. Dotted-name metadata (benchmark only).
    for dist in zope.interface zope.event; do
        version="$("$PYTHON" -c "from importlib.metadata import version; print(version('$dist'))")"
        mkdir -p "$bench_dir/python/$dist-$version.dist-info"
        printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$dist" "$version" \
            >"$bench_dir/python/$dist-$version.dist-info/METADATA"
    done
fi
export PYTHONPATH="$bench_dir/python${PYTHONPATH:+:$PYTHONPATH}"
addons="$addons,$bench_dir/odoo/addons"

prefix="${DUNNING_BENCH_DB:-account_dunning_bench_$CHECKOUT_TAG}"
case "$mode" in
    compare | sizes) flavor=cmp modules=account_dunning,account_credit_control ;;
    workers) flavor=qj modules=account_dunning,queue_job ;;
esac
# The modules are installed once in a base database; each size is a copy of it.
if ! psql -lqt | cut -d'|' -f1 | grep -qw "${prefix}_${flavor}_base"; then
    echo "== installing $modules in '${prefix}_${flavor}_base'"
    odoo_bin "$root" -d "${prefix}_${flavor}_base" --addons-path="$addons" -i "$modules" \
        --stop-after-init --log-level=warn --no-http || die "install failed"
fi

# Servers started by --workers are stopped whatever happens (the Python side stops
# them too; this trap covers a kill of the Python process itself).
pidfile="$(mktemp)"
stop_servers() {
    while read -r pid; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done <"$pidfile"
    rm -f "$pidfile"
}
trap stop_servers EXIT
# Ports of this checkout: derived from its tag, then the first free pair from there.
port=$((20000 + (16#${CHECKOUT_TAG:0:4} % 4000) * 2))
"$PYTHON" "$REPO_DIR/scripts/bench_compare.py" "$mode" --prefix "$prefix" \
    --addons-path "$addons" --odoo-bin "$root/odoo-bin" --sizes "${sizes:-$count}" \
    --port "$port" --pidfile "$pidfile" "${extra[@]}"
