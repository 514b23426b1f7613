"""Side-by-side benchmark, run by scripts/benchmark.sh (--compare-oca, --sizes, --workers).

Every measurement runs in a fresh process on a fresh copy (createdb -T) of one data
database, so that both sides see identical data and their CPU and memory are their own.
Only the standard library here: the Odoo side is scripts/bench_side.py.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from statistics import mean

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["compare", "sizes", "workers"])
    parser.add_argument("--prefix", required=True, help="database name prefix")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--oca-timeout", type=int, default=0,
                        help="stop OCA's side after this many seconds (0: never) and "
                             "report its time as a lower bound")  # fmt: skip
    parser.add_argument("--port", type=int, default=18069, help="first port to try")
    parser.add_argument("--pidfile", help="where the started servers' pids are written")
    return parser.parse_args()


def psql(database, sql):
    return subprocess.run(
        ["psql", "-qtAX", "-d", database, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def database_exists(name):
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def side(mode, database, args, invoices, *, load="", timeout=0):
    """Run scripts/bench_side.py; its output goes through, its result is returned.

    With a timeout the side is killed when it runs longer, and the result says so
    (``timed_out``, ``wall`` = the timeout, the phases it finished): its real time is
    longer than that, which is all a table can say about a run that never ended.
    """
    command = [sys.executable, os.path.join(HERE, "bench_side.py"), mode,
               "--database", database, "--addons-path", args.addons_path,
               "--invoices", str(invoices)]  # fmt: skip
    if load:
        command += ["--load", load]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    timer = None
    if timeout:
        timer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        timer.start()
    result, phases = None, {}
    try:
        for line in process.stdout:
            if line.startswith("BENCH-RESULT "):
                result = json.loads(line[len("BENCH-RESULT ") :])
            elif line.startswith("BENCH-PHASE "):
                phase = json.loads(line[len("BENCH-PHASE ") :])
                name = phase.pop("name")
                phases[name] = phase
                print(f"   {mode} finished {name}: {phase['wall']:.1f} s", flush=True)
            else:
                print(line, end="", flush=True)
        code = process.wait()
    finally:
        if timer:
            timer.cancel()
    if timeout and code == -signal.SIGKILL and result is None:
        print(f"   {mode} stopped after {timeout} s, still running", flush=True)
        return {"side": mode, "timed_out": True, "wall": float(timeout), "phases": phases,
                "customers": 0, "duplicates": 0, "load": 0.0, "invoices": invoices}  # fmt: skip
    if code or (mode != "build" and result is None):
        raise SystemExit(f"bench_side.py {mode} failed on {database}")
    return result


def data_database(args, flavor, invoices):
    """The database with the data of this size, built once from the flavor's base."""
    name = f"{args.prefix}_{flavor}_{invoices}"
    if not database_exists(name):
        print(f"== building {name}", flush=True)
        subprocess.run(["createdb", "-T", f"{args.prefix}_{flavor}_base", name], check=True)
        try:
            side("build", name, args, invoices)
        except BaseException:
            subprocess.run(["dropdb", "--if-exists", name], check=False)
            raise
    return name


class Copy:
    """A throw-away copy of a data database, dropped on exit whatever happens."""

    def __init__(self, template, label):
        self.name = f"{template}_{label}"
        self.template = template

    def __enter__(self):
        subprocess.run(["dropdb", "--if-exists", self.name], check=True)
        subprocess.run(["createdb", "-T", self.template, self.name], check=True)
        return self.name

    def __exit__(self, *exc):
        subprocess.run(["dropdb", "--if-exists", "--force", self.name], check=False)


def load_warning(results):
    high = [r for r in results if r["load"] > 1]
    if high:
        peak = max(r["load"] for r in high)
        print(f"WARNING: load average above 1 during {len(high)} of {len(results)} "
              f"measurements (up to {peak:.2f}): other processes shared the CPUs, the "
              "times are pessimistic; the queries are exact.")  # fmt: skip


def fmt_cpu(result):
    pg = result.get("pg_cpu")
    return f"{result['cpu']:.1f} + {pg:.1f}" if pg is not None else f"{result['cpu']:.1f}"


def print_table(results):
    header = ("side", "rep", "wall s", "CPU s (odoo+pg)", "queries", "q/customer",
              "peak RSS MiB", "customers", "customers/s")  # fmt: skip
    rows = [
        (
            "account_dunning" if r["side"] == "ours" else "OCA credit_control",
            str(r["rep"]),
            (">" if r.get("timed_out") else "") + f"{r['wall']:.1f}",
            "n/a" if r.get("timed_out") else fmt_cpu(r),
            *(
                ("n/a",) * 3
                if r.get("timed_out")
                else (
                    str(r["queries"]),
                    f"{r['queries'] / max(r['customers'], 1):.1f}",
                    f"{r['rss']:.0f}",
                )
            ),
            str(r["customers"]),
            ("<" if r.get("timed_out") else "") + f"{r['customers'] / r['wall']:.1f}",
        )
        + (("load>1",) if r["load"] > 1 else ())
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:9]))
              + " |" + (f" {row[9]}" if len(row) > 9 else ""))  # fmt: skip


def compare(args):
    for invoices in [int(size) for size in args.sizes.split(",")]:
        data = data_database(args, "cmp", invoices)
        results = []
        for rep in range(1, args.repeat + 1):
            for name in ("oca", "ours"):  # interleaved: oca, ours, oca, ours
                print(f"== {name}, repetition {rep}, {invoices} invoices", flush=True)
                with Copy(data, f"{name}{rep}") as database:
                    timeout = args.oca_timeout if name == "oca" else 0
                    result = side(name, database, args, invoices, timeout=timeout)
                result["rep"] = rep
                results.append(result)
                for phase, figures in result["phases"].items():
                    print(
                        f"   {phase:<14} {figures['wall']:7.2f} s {figures['queries']:7d} queries"
                    )
            ours, oca = results[-1], results[-2]
            if oca.get("timed_out"):
                # Same data, same ladder: OCA would have messaged the customers we did
                # (1,979 each at 10,000). Its rate is at most that many over the timeout.
                oca["customers"] = ours["customers"]
        print(f"\n== {invoices} invoices over {invoices // 5} customers, 3-email ladder, "
              "same data (createdb -T)")  # fmt: skip
        print_table(results)
        bound = any(r.get("timed_out") for r in results)
        speed = {
            name: mean(r["customers"] / r["wall"] for r in results if r["side"] == name)
            for name in ("ours", "oca")
        }
        print(f"ratio (customers/s, mean of {args.repeat}): account_dunning / OCA "
              f"{'>=' if bound else '='} {speed['ours'] / speed['oca']:.1f}x"
              + (f" (OCA stopped after {args.oca_timeout} s without finishing: its time is a "
                 "lower bound)" if bound else ""))  # fmt: skip
        if not bound:
            # Under a load above 1 the wall times stretch; CPU time (Odoo + its
            # PostgreSQL backend) per customer is the steadier comparison.
            cpu = {
                name: mean(
                    (r["cpu"] + (r["pg_cpu"] or 0)) / max(r["customers"], 1)
                    for r in results
                    if r["side"] == name
                )
                for name in ("ours", "oca")
            }
            print(f"CPU per customer (Odoo + PostgreSQL): account_dunning "
                  f"{cpu['ours'] * 1000:.1f} ms, OCA {cpu['oca'] * 1000:.1f} ms: ratio "
                  f"{cpu['oca'] / cpu['ours']:.1f}x")  # fmt: skip
        twice = sum(r["duplicates"] for r in results)
        print(f"customers with two messages on the day: {twice}")
        load_warning(results)


def sizes(args):
    results = []
    for invoices in [int(size) for size in args.sizes.split(",")]:
        data = data_database(args, "cmp", invoices)
        for rep in range(1, args.repeat + 1):
            print(f"== ours, {invoices} invoices, repetition {rep}", flush=True)
            with Copy(data, f"ours{rep}") as database:
                result = side("ours", database, args, invoices)
            results.append(result)
    print("\n== account_dunning, scheduled run (_cron_run: plan, batches with commits)")
    print("| invoices | customers messaged | plan s | execute s | ms/customer | "
          "queries/customer | customers/s | peak RSS MiB |")  # fmt: skip
    for r in results:
        per = r["wall"] / max(r["customers"], 1) * 1000
        print(f"| {r['invoices']} | {r['customers']} | {r['phases']['plan'].get('wall', 0):.2f} "
              f"| {r['phases']['execute']['wall']:.1f} | {per:.1f} "
              f"| {r['queries'] / max(r['customers'], 1):.2f} "
              f"| {r['customers'] / r['wall']:.1f} | {r['rss']:.0f} |"
              + (" load>1" if r["load"] > 1 else ""))  # fmt: skip
    load_warning(results)


# ------------------------------------------------------------------------ workers


def _is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(first):
    """The first pair of free ports (HTTP and gevent) from ``first`` on."""
    port = first
    while not (_is_free(port) and _is_free(port + 1)):
        port += 2
    return port


class Server:
    """One Odoo server with K HTTP workers and queue_job's job runner (channel root:K),
    stopped on exit whatever happens."""

    def __init__(self, args, database, workers):
        self.args, self.database, self.workers = args, database, workers
        self.process = None

    def __enter__(self):
        self.port = free_port(self.args.port)
        log = f"{os.environ.get('TMPDIR', '/tmp')}/{self.database}.log"
        env = dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=f"root:{self.workers}")
        command = [sys.executable, os.path.join(HERE, "odoo_bin.py"), self.args.odoo_bin,
                   "-d", self.database, f"--db-filter=^{self.database}$",
                   f"--addons-path={self.args.addons_path}", "--load=web,queue_job",
                   f"--workers={self.workers}", "--max-cron-threads=0",
                   f"--http-port={self.port}", f"--gevent-port={self.port + 1}",
                   "--limit-time-real=600", "--limit-time-cpu=600",
                   "--log-level=warn", f"--logfile={log}"]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, start_new_session=True)
        if self.args.pidfile:
            with open(self.args.pidfile, "a") as pidfile:
                pidfile.write(f"{self.process.pid}\n")
        print(f"   server pid {self.process.pid}: {self.workers} workers on port "
              f"{self.port}, log {log}", flush=True)  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the Odoo server stopped at start (see {log})")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/web/health", timeout=5)
                return self
            except OSError:
                time.sleep(1)
        raise SystemExit(f"the Odoo server did not answer in 180 s (see {log})")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def workers(args):
    invoices = int(args.sizes.split(",")[0])
    data = data_database(args, "qj", invoices)
    results = []
    for count in [int(k) for k in args.workers.split(",")]:
        print(f"== queue_job, {count} workers, {invoices} invoices", flush=True)
        with Copy(data, f"k{count}") as database, Server(args, database, count):
            result = side("queue", database, args, invoices, load="web,queue_job")
        result["workers"] = count
        results.append(result)
    print(f"\n== {invoices} invoices: run executed by queue_job jobs (one per batch)")
    print("| workers | customers messaged | plan + queue s | batches s | customers/s "
          "(batches) | until closed s | jobs | customers messaged twice |")  # fmt: skip
    for r in results:
        plan = r["wall"] - r["execute_wall"]
        print(f"| {r['workers']} | {r['customers']} | {plan:.1f} | {r['batches_wall']:.1f} "
              f"| {r['customers'] / max(r['batches_wall'], 0.001):.1f} "
              f"| {r['execute_wall']:.1f} | {r['jobs']} "
              f"| {r['duplicates']} (mails: {r['mail_duplicates']}) |"
              + (" load>1" if r["load"] > 1 else ""))  # fmt: skip
    load_warning(results)
    if any(r["duplicates"] or r["mail_duplicates"] for r in results):
        raise SystemExit("ERROR: a customer was messaged twice")


def main():
    args = parse_args()
    # A stop (Ctrl-C, kill) unwinds the with-blocks: servers stopped, copies dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    {"compare": compare, "sizes": sizes, "workers": workers}[args.mode](args)


if __name__ == "__main__":
    main()
