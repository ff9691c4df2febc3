#!/usr/bin/env python3
"""ledgerlift against its peers, on this machine, in one run.

Builds the benchmark programs in release, generates the inputs deterministically, and measures:

1. ledgerlift's local stages (read -> map -> validate -> plan) on 100,000- and 1,000,000-row
   Danish bank CSVs (semicolons, "1.234,56", Windows-1252) and a 100 MB namespaced XML journal;
2. the same CSV conversion with hledger 1.25 (an equivalent rules file) and the bare parse and
   amount conversion with Python's csv module;
3. submission against the sandbox: calls per document against the contract's minimum,
   rate-budget use and 429s at Dinero's limit, throughput with 1, 10 and 50 organizations.

Prints a markdown report; --write also puts it in docs/benchmarks.md. --tiny runs every part at
a size that takes seconds (CI), and asserts nothing about speed.

Usage: scripts/bench [--tiny] [--write] [--repeat N]
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "Benchmarks", ".build", "release")


def build_kind():
    """`release`, or what the programs in BIN were built as."""
    return "debug" if os.path.basename(os.path.normpath(BIN)) == "debug" else "release"


def run_measured(command, stdin=None, stdout=subprocess.DEVNULL, env=None):
    """Runs a command; answers (seconds, peak RSS in MB of that process, its stdout if piped)."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    output = process.stdout.read() if stdout == subprocess.PIPE else None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.stderr.write(error.decode(errors="replace"))
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return seconds, usage.ru_maxrss / 1024, output


def best_of(repeat, measure):
    """Median seconds and the peak RSS of the first run (later runs only repeat it)."""
    results = [measure() for _ in range(repeat)]
    seconds = sorted(r[0] for r in results)[len(results) // 2]
    return seconds, results[0][1]


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            memory = f"{kb / 1048576:.0f} GiB"
    except OSError:
        pass
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
    hledger = (subprocess.run(["hledger", "--version"], capture_output=True, text=True).stdout.strip()
               if shutil.which("hledger") else "")
    return [
        f"{os.cpu_count()} cores ({model}), {memory} memory, {platform.system()} {platform.release()}",
        swift[0] if swift else "swift: unknown",
        f"{hledger or 'hledger: not installed'}; Python {platform.python_version()}",
    ]


def ensure_hledger(required):
    """Installs hledger when missing. Answers whether it can run; without it a full run stops,
    a --tiny run (CI) goes on and says the peer was left out."""
    if shutil.which("hledger"):
        return True
    print("== installing hledger (Debian package)", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "hledger"], check=True, env=env)
        return True
    except (OSError, subprocess.CalledProcessError) as error:
        if required:
            raise SystemExit(f"hledger is needed and could not be installed: {error}")
        print(f"warning: hledger could not be installed ({error}); its row is left out", file=sys.stderr)
        return False


# The bank-statement mapping's rules, in hledger 1.25's rules language (only features it has:
# fields, skip, separator, date-format, decimal-mark, if blocks). Account names are the numbers.
HLEDGER_RULES = """\
skip 1
separator ;
fields date, description, amount, balance_, currency, code, konto_, reference_
date-format %d-%m-%Y
decimal-mark ,
account1 5500
account2 9900

if %description ^Overførsel fra kunde
  account2 5600
if %description husleje
  account2 3400
if %description netto|rema|føtex|bauhaus|shell
  account2 2750
if %description ^MobilePay salg
  account2 5830
if %description mobilepay
  account2 2750
if %description ^Løn
  account2 3610
if %description ^(Gebyr kontoførelse|Renter)$
  account2 4000
if %description ^Betalingsservice
  account2 3800
if %description ^Faktura
  account2 6800
if %description moms
  account2 7300
if %description ^Indbetaling kontant
  account2 5820
if %amount ^-?0,00$
  skip
"""

# Python's csv module doing only the parse and the amount conversion (to øre), nothing else.
PYTHON_BASELINE = r"""
import csv, sys
rows = total = 0
with open(sys.argv[1], newline="", encoding="cp1252") as f:
    reader = csv.reader(f, delimiter=";")
    next(reader)
    for row in reader:
        total += int(row[2].replace(".", "").replace(",", ""))
        rows += 1
print(rows, total)
"""


def reader_bench(arguments):
    """Runs ReaderBench; answers (records/s, peak MB) from its report."""
    output = subprocess.run([os.path.join(BIN, "ReaderBench")] + arguments, cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    rate = int(re.search(r"= (\d+) records/s", output).group(1))
    peak = float(re.search(r"peak RSS: ([\d.]+) MB", output).group(1))
    return rate, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="every part at a size that takes seconds (CI)")
    parser.add_argument("--write", action="store_true", help="also write docs/benchmarks.md")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement (median)")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--bin", default=None,
                        help="where the built benchmark programs are (default: the release build); "
                             "CI passes its debug build, which shares the tests' build folder")
    args = parser.parse_args()
    global BIN
    if args.bin:
        BIN = os.path.abspath(args.bin)
    repeat = args.repeat or (1 if args.tiny else 3)
    sizes = [2_000] if args.tiny else [100_000, 1_000_000]
    hledger_rows = 2_000 if args.tiny else 100_000
    megabytes = 1 if args.tiny else 100

    have_hledger = ensure_hledger(required=not args.tiny)
    if not args.skip_build:
        print("== building the benchmarks (release)", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", "release", "--package-path", "Benchmarks"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="ledgerlift-bench-")
    lines = []
    try:
        # 1. ledgerlift's local stages.
        print("== local stages", file=sys.stderr)
        local = {}
        for rows in sizes:
            local[rows] = reader_bench(["map", "--rows", str(rows), "--repeat", str(repeat), "--dir", work,
                                        "--validate", "--plan"])
        xml = reader_bench(["map-xml", "--megabytes", str(megabytes), "--repeat", str(repeat), "--dir", work,
                            "--validate", "--plan"])

        # 2. Peers on the same CSV.
        print("== peers", file=sys.stderr)
        peers = {}
        for rows in sizes:
            path = os.path.join(work, f"bank-cp1252-v2-{rows}.csv")
            script = os.path.join(work, "baseline.py")
            with open(script, "w") as f:
                f.write(PYTHON_BASELINE)
            seconds, peak = best_of(repeat, lambda: run_measured([sys.executable, script, path]))
            peers[("python", rows)] = (rows / seconds, peak)
        # hledger 1.25 has no `encoding` directive: it reads a UTF-8 copy (converted beforehand, not timed).
        source = os.path.join(work, f"bank-cp1252-v2-{hledger_rows}.csv")
        if not os.path.exists(source):
            reader_bench(["map", "--rows", str(hledger_rows), "--repeat", "1", "--dir", work])
        utf8 = os.path.join(work, f"bank-utf8-{hledger_rows}.csv")
        with open(source, encoding="cp1252", newline="") as f, open(utf8, "w", encoding="utf-8", newline="") as out:
            out.write(f.read())
        rules = utf8 + ".rules"
        with open(rules, "w", encoding="utf-8") as f:
            f.write(HLEDGER_RULES)
        if have_hledger:
            seconds, peak = best_of(1 if not args.tiny else repeat, lambda: run_measured(
                ["hledger", "-f", utf8, "--rules-file", rules, "print"]))
            peers[("hledger", hledger_rows)] = (hledger_rows / seconds, peak)
        else:
            peers[("hledger", hledger_rows)] = (float("nan"), float("nan"))
        if hledger_rows not in local:
            local[hledger_rows] = reader_bench(["map", "--rows", str(hledger_rows), "--repeat", str(repeat),
                                                "--dir", work, "--validate", "--plan"])

        # 3. Submission against the sandbox.
        print("== submission", file=sys.stderr)
        importer = os.path.join(BIN, "ImportBench")
        ledger_docs, voucher_docs, org_docs = (300, 60, 10) if args.tiny else (10_000, 1_000, 60)
        orgs = "1,3" if args.tiny else "1,10,50"

        def bench(*arguments):
            return subprocess.run([importer] + list(arguments), cwd=ROOT, check=True, capture_output=True,
                                  text=True).stdout
        ledger = bench("ledger", "--documents", str(ledger_docs))
        vouchers = bench("vouchers", "--documents", str(voucher_docs), "--limit", "100")
        # 20 requests a window each, so every organization is held to its limit and throughput shows
        # how far organizations run side by side.
        organizations = bench("orgs", "--orgs", orgs, "--documents", str(org_docs), "--limit",
                              "100" if args.tiny else "20")
        ledger_calls = re.search(r"calls: (\d+); fewest possible: (\d+)", ledger)
        ledger_429 = re.search(r"429s: (\d+)", ledger).group(1)
        voucher_calls = re.search(r"calls: (\d+) \((\d+) per voucher \+ (\d+)\); rate-budget use ([\d.]+) %; 429s: (\d+)",
                                  vouchers)

        # The report.
        big = sizes[-1]
        big_rate, big_peak = local[big]
        python_rate = peers[("python", big)][0]
        hledger_rate, hledger_peak = peers[("hledger", hledger_rows)]
        same_size_rate = local[hledger_rows][0]
        lines += ["# Benchmarks", ""]
        lines += [f"Measured by `scripts/bench{' --tiny' if args.tiny else ''}` on "
                  f"{time.strftime('%Y-%m-%d')}, {build_kind()} build, median of {repeat} runs (peak RSS of the first).", ""]
        lines += [f"- {line}" for line in machine()] + [""]
        lines += ["## Local stages: read → map → validate → plan", ""]
        lines += ["| input | ledgerlift rows/s | peak RSS |", "|---|---:|---:|"]
        for rows in sizes:
            rate, peak = local[rows]
            lines.append(f"| bank CSV, {rows:,} rows (Windows-1252, `;`, `1.234,56`) | {rate:,} | {peak:.0f} MB |")
        lines.append(f"| XML journal, {megabytes} MB (namespaced, SAF-T-like) | {xml[0]:,} transactions/s | {xml[1]:.0f} MB |")
        lines += ["", "The CSV runs use `mappings/bank-statement.yaml` (11 text rules, a skip rule, one line with a balancing account per "
                  "row) and validate against `mappings/reference/example-org.yaml`; the XML run uses "
                  "`mappings/journal.yaml` and validates without reference data (its accounts are random). "
                  "Plan = totals per account and VAT code and the API call count, as `ledgerlift plan` makes them.", ""]
        lines += ["## The same conversion, side by side", ""]
        lines += ["| tool | rows | rows/s | peak RSS | ledgerlift is |", "|---|---:|---:|---:|---:|"]
        lines.append(f"| ledgerlift (read, map, validate, plan) | {hledger_rows:,} | {same_size_rate:,} | "
                     f"{local[hledger_rows][1]:.0f} MB | — |")
        hledger_version = (subprocess.run(["hledger", "--version"], capture_output=True, text=True).stdout
                           .split(",")[0].split()[-1] if have_hledger else "(not installed)")
        lines.append(f"| hledger {hledger_version} "
                     f"`print` with an equivalent rules file | {hledger_rows:,} | {hledger_rate:,.0f} | "
                     f"{hledger_peak:.0f} MB | {same_size_rate / hledger_rate:,.0f}× faster |")
        for rows in sizes:
            rate, peak = peers[("python", rows)]
            lines.append(f"| Python `csv`: parse and amount only | {rows:,} | {rate:,.0f} | {peak:.0f} MB | "
                         f"{local[rows][0] / rate:.2f}× the speed |")
        lines += ["", f"hledger reads a UTF-8 copy (1.25 has no `encoding` directive) and is run at {hledger_rows:,} "
                  "rows only: it holds the whole journal in memory (about 1 GB per 100,000 rows). Python does far "
                  "less than either: no rules, no dates, no documents, no validation.", ""]
        lines += ["## Submission against the sandbox (Dinero's limit on a 1-second window)", ""]
        lines += ["| measure | result | contract |", "|---|---|---|"]
        lines.append(f"| calls for {ledger_docs:,} ledger items | {ledger_calls.group(1)} | "
                     f"fewest possible {ledger_calls.group(2)} (429s: {ledger_429}) |")
        lines.append(f"| calls per purchase voucher with a receipt | {voucher_calls.group(2)} "
                     f"(+{voucher_calls.group(3)} setup) | 3: upload, create, book |")
        lines.append(f"| rate-budget use, {voucher_docs:,} vouchers at 100 requests/window | "
                     f"{voucher_calls.group(4)} % | ≥ 95 % target; 429s: {voucher_calls.group(5)} |")
        for line in organizations.strip().splitlines():
            match = re.search(r"(\d+) organizations × (\d+) vouchers: .*→ (\d+) documents/s, (\d+) calls/s, 429s: (\d+)", line)
            if match:
                noun = "organization" if match.group(1) == "1" else "organizations"
                lines.append(f"| {match.group(1)} {noun} × {match.group(2)} vouchers, "
                             f"{'100' if args.tiny else '20'} requests/window each | "
                             f"{match.group(3)} documents/s, {match.group(4)} calls/s | 429s: {match.group(5)} |")
        lines += ["", "## Headline", ""]
        lines.append(f"- {big:,}-row bank CSV, read → map → validate → plan: **{big_rate:,} rows/s in {big_peak:.0f} MB** "
                     f"(target: ≥ 1,000,000 rows/s in ≤ 64 MB).")
        lines.append(f"- **{same_size_rate / hledger_rate:,.0f}× hledger** at {hledger_rows:,} rows "
                     f"(target: more than 200×), in {local[hledger_rows][1] / hledger_peak * 100:.0f} % of its memory.")
        lines.append(f"- **{big_rate / python_rate:.2f}× Python's bare `csv` loop** at {big:,} rows "
                     f"(target: faster than it).")
        lines.append("")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = "\n".join(lines)
    print(report)
    if args.write:
        with open(os.path.join(ROOT, "docs", "benchmarks.md"), "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
