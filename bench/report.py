#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - the tables and ratios of `make bench`, and bench.json.

  report.py RESULTS.jsonl OUT.json

RESULTS holds one JSON object per measurement, written by bench/run.sh.
Ratios are taken within a round (the VM's speed phases change between
rounds, not within a few seconds) and summarised by their median.
Exit status 1 if a mode of a test has no measurement at all.
"""
import json
import statistics
import sys

MODES = ["shakeoff", "kernel", "nft", "reflect", "drop"]
MODE_HELP = {
    "shakeoff": "shakeoff attached (XDP cookie SYN-ACKs)",
    "kernel": "kernel SYN cookies alone (tcp_syncookies=2, listener, no XDP)",
    "nft": "nftables synproxy in front of the listener",
    "reflect": "xdp_reflect: SYN -> SYN-ACK, fixed ISN (speed of light)",
    "drop": "xdp_drop at the server: the generator's ceiling (drops counted)",
}
SYN_RATIOS = [("shakeoff", "kernel"), ("shakeoff", "reflect"), ("shakeoff", "nft"),
              ("kernel", "reflect"), ("reflect", "drop")]


def summary(v):
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def by_round(recs):
    """{round: {mode: rate}} of the valid records."""
    out = {}
    for r in recs:
        if "rate" in r:
            out.setdefault(r["round"], {})[r["mode"]] = r["rate"]
    return out


def ratios(recs, pairs):
    rounds = by_round(recs)
    out = {}
    for a, b in pairs:
        per = [m[a] / m[b] for _, m in sorted(rounds.items())
               if m.get(a) and m.get(b)]
        if per:
            s = summary(per)
            s["per_round"] = per
            out[f"{a}/{b}"] = s
    return out


def mps(x):
    return f"{x / 1e6:7.3f}" if x is not None else "      -"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    recs = [json.loads(line) for line in open(argv[1]) if line.strip()]
    info = next((r for r in recs if r["test"] == "info"), {})
    done = next((r for r in recs if r["test"] == "done"), {})
    setups = [r for r in recs if r["test"] == "setup"]
    modes = [m for m in MODES if m in info.get("modes", " ".join(MODES)).split()]
    failures = [f"{r['test']} {r.get('setup', '')} {r.get('mode', '')}: {r['error']}"
                for r in recs if "error" in r]
    out = {"info": info, "elapsed_s": done.get("elapsed_s"),
           "setups": {s["name"]: s["how"] for s in setups},
           "modes": {m: MODE_HELP[m] for m in modes},
           "syn": {}, "syn_ratios": {}, "ack": {}, "service": [], "bpf_stats": [],
           "prog_run": None, "errors": failures}
    missing = []

    print()
    print("How each set-up was run:")
    for s in setups:
        print(f"  {s['name']}: {s['how']}")
    print("Modes:")
    for m in modes:
        print(f"  {m:9s} {MODE_HELP[m]}")

    # --- SYN flood: answered rate per mode and set-up -----------------------
    for s in setups:
        name = s["name"]
        syn = [r for r in recs if r["test"] == "syn" and r.get("setup") == name]
        if not syn:
            continue
        out["syn"][name] = {}
        print()
        print(f"SYN flood, {name}: SYN-ACKs per second (M/s; drop: SYNs dropped), "
              f"{info.get('rounds')} rounds x {info.get('secs')} s")
        print(f"  {'mode':9s} {'median':>7s} {'min':>7s} {'max':>7s}   {'sent':>7s} "
              f"{'refused':>7s} {'NAPI%':>6s}")
        for m in modes:
            rs = [r for r in syn if r["mode"] == m and "rate" in r]
            sm = summary([r["rate"] for r in rs])
            sent = summary([r["flood"]["pps"] for r in rs])
            refused = summary([r["flood"]["failed"] / r["flood"]["attempted"]
                               for r in rs if r["flood"]["attempted"]])
            busy = summary([r["napi_busy"] for r in rs if r.get("napi_busy") is not None])
            out["syn"][name][m] = dict(sm or {}, rates=[r["rate"] for r in rs],
                                       sent_pps=sent["median"] if sent else None,
                                       sender_refused=refused["median"] if refused else None,
                                       napi_busy=busy["median"] if busy else None)
            if not sm:
                missing.append(f"syn {name} {m}")
                print(f"  {m:9s} not measured")
                continue
            print(f"  {m:9s} {mps(sm['median'])} {mps(sm['min'])} {mps(sm['max'])}   "
                  f"{mps(sent['median'])} {refused['median'] * 100:6.1f}% " +
                  (f"{busy['median'] * 100:5.1f}%" if busy else "     -"))
        print("  (sent: what the generator got onto the veth; refused: its frames the full "
              "veth ring turned away;\n   NAPI%: busy share of the server's NAPI thread, "
              "two-cores only)")
        starved = [m for m in modes if (out["syn"][name][m].get("napi_busy") or 1) < 0.9
                   and (out["syn"][name][m].get("sender_refused") or 0) > 0.1]
        if starved:
            print(f"  note: {', '.join(starved)}: the NAPI thread was idle part of the time while "
                  "the veth ring turned\n  frames away: its wake-ups, not its speed, set that rate "
                  "(other load on the CPU delays them)")
        out["syn"][name]["wakeup_limited"] = starved
        rat = ratios(syn, SYN_RATIOS)
        out["syn_ratios"][name] = rat
        print("  ratios within rounds, median (min-max):")
        for k, v in rat.items():
            print(f"    {k:18s} {v['median']:5.2f}x  ({v['min']:.2f}-{v['max']:.2f})")

    # --- ACK flood ----------------------------------------------------------
    for s in setups:
        name = s["name"]
        ack = [r for r in recs if r["test"] == "ack" and r.get("setup") == name]
        if not ack:
            continue
        res = {}
        for m in ("shakeoff", "drop"):
            rs = [r for r in ack if r["mode"] == m and "rate" in r]
            res[m] = dict(summary([r["rate"] for r in rs]) or {}, rates=[r["rate"] for r in rs])
            if not rs:
                missing.append(f"ack {name} {m}")
        stats = [r.get("shakeoff_stats") for r in ack if r["mode"] == "shakeoff" and "rate" in r]
        created = [st.get("conn_created") for st in stats if isinstance(st, dict)]
        valid = [st.get("ack_cookie_valid") for st in stats if isinstance(st, dict)]
        res["conn_created"] = sum(c for c in created if c is not None) if created else None
        res["ack_cookie_valid"] = sum(c for c in valid if c is not None) if valid else None
        res["ratio"] = ratios(ack, [("shakeoff", "drop")]).get("shakeoff/drop")
        out["ack"][name] = res
        print()
        print(f"ACK flood (random ACKs, forged cookies, fresh TSecr), {name}: drops per second (M/s)")
        for m in ("shakeoff", "drop"):
            v = res[m]
            if "median" in v:
                print(f"  {m:9s} {mps(v['median'])} {mps(v['min'])} {mps(v['max'])}")
            else:
                print(f"  {m:9s} not measured")
        if res["ratio"]:
            r = res["ratio"]
            print(f"  shakeoff/drop      {r['median']:5.2f}x  ({r['min']:.2f}-{r['max']:.2f})")
        cc = res["conn_created"]
        print(f"  conn_created during the flood: {cc if cc is not None else 'unknown (no stats)'}"
              f", ack_cookie_valid: {res['ack_cookie_valid']}")
        if cc is None:
            missing.append(f"ack {name} conn_created (shakeoff stats -j)")
        elif cc:
            print(f"  WARNING: {cc} connections created from forged ACKs")

    # --- service under flood ------------------------------------------------
    svc = [r for r in recs if r["test"] == "service"]
    if svc:
        print()
        print("Fixed offered rates (two-cores): CPU of the server's NAPI thread per SYN answered "
              "(headroom: 100% - NAPI%),\n  and real connections during the flood")
        print(f"  {'offered':>8s} {'mode':9s} {'sent':>7s} {'answered':>8s} {'ns/SYN':>7s} "
              f"{'NAPI%':>6s} {'core%':>6s} {'conns':>9s} {'p50 ms':>7s} {'p99 ms':>7s}")
    for r in svc:
        row = {"offered": r["offered"], "mode": r["mode"]}
        if "error" in r:
            missing.append(f"service {r['offered']} {r['mode']}")
            print(f"  {r['offered']:8d} {r['mode']:9s} error: {r['error']}")
            out["service"].append(dict(row, error=r["error"]))
            continue
        secs = r["flood"]["secs"]
        cl = r.get("client") or {}
        row.update(sent_pps=r["flood"]["pps"], answered_pps=r["count"] / secs,
                   ns_per_syn=r["napi_ns"] / r["count"] if r["count"] else None,
                   napi_busy=r["napi_ns"] / r["wall_ns"],
                   napi_headroom=1 - r["napi_ns"] / r["wall_ns"],
                   core_busy=(r["core_busy_jiffies"] / r["core_total_jiffies"]
                              if r["core_total_jiffies"] else None),
                   conns=cl.get("n"), conns_ok=cl.get("ok"), success=cl.get("success"),
                   connect_p50_ms=cl.get("p50_ms"), connect_p99_ms=cl.get("p99_ms"),
                   conns_failed=cl.get("failed"))
        st = r.get("shakeoff_stats")
        if isinstance(st, dict):
            row["shakeoff_stats"] = {k: v for k, v in st.items()
                                     if isinstance(v, int) and v and k != "ifname"}
        out["service"].append(row)

        def f(x, fmt):
            return format(x, fmt) if x is not None else "-"
        print(f"  {r['offered']:8d} {r['mode']:9s} {mps(row['sent_pps'])} {mps(row['answered_pps'])}  "
              f"{f(row['ns_per_syn'], '6.0f')} {row['napi_busy'] * 100:5.1f}% "
              f"{f(row['core_busy'] and row['core_busy'] * 100, '5.1f')}% "
              f"{cl.get('ok', '-'):>4}/{cl.get('n', '-'):<4} {f(row['connect_p50_ms'], '7.2f')} "
              f"{f(row['connect_p99_ms'], '7.2f')}")
        if cl.get("failed"):
            print(f"  {'':8s} {'':9s} failed: " +
                  ", ".join(f"{k} x{v}" for k, v in sorted(cl["failed"].items())))
            st = row.get("shakeoff_stats")
            if st:
                keys = [k for k in st if k.startswith(("conn_", "ack_cookie", "drop_"))]
                print(f"  {'':8s} {'':9s} shakeoff: " + ", ".join(f"{k} {st[k]}" for k in keys))
    cpu_ratio = {}
    for rate in sorted({r["offered"] for r in out["service"]}):
        by = {r["mode"]: r for r in out["service"] if r["offered"] == rate and r.get("ns_per_syn")}
        if "shakeoff" in by and "kernel" in by:
            cpu_ratio[str(rate)] = by["shakeoff"]["ns_per_syn"] / by["kernel"]["ns_per_syn"]
    out["service_cpu_ratio_shakeoff_kernel"] = cpu_ratio
    if cpu_ratio:
        print("  CPU per SYN, shakeoff/kernel: " +
              ", ".join(f"{int(k) // 1000}k/s {v:.2f}x" for k, v in cpu_ratio.items()))

    # --- signed SYNs (fake TCP-MD5) -------------------------------------------
    sg = [r for r in recs if r["test"] == "signed"]
    out["signed"] = []
    if sg:
        print()
        print("SYNs with a fake TCP-MD5 signature to an MD5 listener (two-cores): CPU of the "
              "server's NAPI thread per SYN sent, and the SYNs the kernel itself dropped")
        print(f"  {'offered':>8s} {'mode':9s} {'sent':>7s} {'ns/SYN':>7s} {'to kernel':>9s} "
              f"{'kernel CPU':>10s}")
        for r in sg:
            if "error" in r:
                missing.append(f"signed {r['offered']} {r['mode']}")
                print(f"  {r['offered']:8d} {r['mode']:9s} error: {r['error']}")
                continue
            secs = r["flood"].get("secs") or 1
            row = {"offered": r["offered"], "mode": r["mode"], "sent": r["sent"],
                   "ns_per_syn": r["napi_ns"] / r["sent"] if r["sent"] else None,
                   "to_kernel_per_s": r["kernel_dropped"] / secs,
                   "napi_busy": r["napi_ns"] / 1e9 / secs}
            out["signed"].append(row)
            ns = f"{row['ns_per_syn']:7.0f}" if row["ns_per_syn"] else "      -"
            print(f"  {r['offered']:8d} {r['mode']:9s} {mps(r['sent'] / secs)} {ns} "
                  f"{row['to_kernel_per_s']:7.0f}/s {100 * row['napi_busy']:9.1f}%")
        print("  (to kernel: TcpExt TCPMD5Unexpected per second, the SYNs that reached "
              "the kernel's TCP stack; kernel CPU: the NAPI thread's busy share)")

    # --- BPF run time under live flood ---------------------------------------
    rs = [r for r in recs if r["test"] == "runstat"]
    if rs:
        print()
        print("In-program time under live flood (two-cores; bpf_enable_stats: run_time_ns/run_cnt)")
    for r in rs:
        st = r.get("stat") or {}
        out["bpf_stats"].append({"mode": r["mode"], "prog": st.get("prog"),
                                 "ns_per_run": st.get("ns_per_run"), "runs": st.get("run_cnt"),
                                 "error": r.get("error")})
        if st.get("run_cnt"):
            print(f"  {st['prog']:13s} {st['ns_per_run']:7.1f} ns per packet ({st['run_cnt']} runs)")
        else:
            missing.append(f"bpf_stats {r['mode']}")
            print(f"  {r['mode']:13s} not measured")

    # --- BPF_PROG_RUN --------------------------------------------------------
    cost = next((r for r in recs if r["test"] == "cost"), None)
    if cost and "result" in cost:
        res = cost["result"]
        out["prog_run"] = res
        print()
        print(f"BPF_PROG_RUN, a fresh frame per run (repeat=1, {res['runs']} runs; "
              "net = median minus xdp_empty's;\n  one syscall per run, so caches and TLB start "
              "cold: the live figures above are the warm ones)")
        for c in res["results"]:
            print(f"  {c['prog']:13s} {c['packet']:10s} median {c['median_ns']:6.1f} ns  "
                  f"net {c['net_ns']:6.1f} ns" +
                  (f"  ({c['unexpected_verdicts']} unexpected verdicts)"
                   if c["unexpected_verdicts"] else ""))
    elif cost:
        missing.append("prog_run")

    # --- table sizes ----------------------------------------------------------
    tables(recs, out, missing)

    # --- summary -------------------------------------------------------------
    print()
    print("Summary (medians of within-round ratios):")
    for name, rat in out["syn_ratios"].items():
        parts = [f"{k} {rat[k]['median']:.2f}x" for k in ("shakeoff/kernel", "shakeoff/reflect")
                 if k in rat]
        ack = out["ack"].get(name, {})
        if ack.get("ratio"):
            parts.append(f"ACK flood shakeoff/drop {ack['ratio']['median']:.2f}x")
        if ack.get("conn_created") is not None:
            parts.append(f"conn_created {ack['conn_created']}")
        print(f"  {name:9s} " + ", ".join(parts))
    if cpu_ratio:
        print("  two-cores CPU per SYN shakeoff/kernel: " +
              ", ".join(f"{int(k) // 1000}k/s {v:.2f}x" for k, v in cpu_ratio.items()))
    ok = [r for r in out["service"] if r.get("conns")]
    for m in ("shakeoff", "kernel"):
        rs = [r for r in ok if r["mode"] == m]
        if rs:
            print(f"  real connections during the flood, {m}: "
                  f"{sum(r['conns_ok'] for r in rs)}/{sum(r['conns'] for r in rs)} succeeded")

    out["complete"] = not missing
    out["not_measured"] = missing
    with open(argv[2], "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print()
    print(f"Written: {argv[2]} (elapsed {done.get('elapsed_s', '?')} s)")
    if missing:
        print("NOT MEASURED: " + "; ".join(missing))
        for e in failures:
            print("  " + e)
        return 1
    return 0


def tables(recs, out, missing):
    """The table-size section: housekeeping, stalls, flood rates with their
    ratios to reflect (SYN) and drop (ACK) of the same round, and the
    BPF_PROG_RUN cost per packet at each size."""
    ts = [r for r in recs if r["test"] == "tables"]
    if not ts:
        return
    rate = {(r["test"], r["mode"]): r.get("rate") for r in recs
            if r["test"].startswith(("tsyn-", "tack-"))}
    base = next((r for r in ts if r.get("entries") is None), {})
    print()
    print("Table sizes (one-core; tracked connections filled through the pinned maps)")
    print(f"  without shakeoff: worst cyclictest wake-up per CPU {base.get('stall_max_us')} us")
    out["tables"] = []
    for r in ts:
        n = r.get("entries")
        if n is None:
            continue
        if "error" in r:
            missing.append(f"tables {n}")
            print(f"  {n:8d} entries: not measured ({r['error']})")
            continue
        cpu = 100.0 * r["tick_ns"] / r["wall_ns"] if r.get("wall_ns") else None
        syn, refl = rate.get((f"tsyn-{n}", "shakeoff")), rate.get((f"tsyn-{n}", "reflect"))
        ack, drop = rate.get((f"tack-{n}", "shakeoff")), rate.get((f"tack-{n}", "drop"))
        row = {"entries": n, "housekeeping_cpu_pct": cpu, "tick_max_us": r["tick_max_ns"] / 1e3,
               "stall_max_us": r["stall_max_us"], "syn_rate": syn, "syn_vs_reflect":
               syn / refl if syn and refl else None, "ack_rate": ack,
               "ack_vs_drop": ack / drop if ack and drop else None}
        out["tables"].append(row)
        fmt = lambda v, f: f.format(v) if v is not None else "-"
        print(f"  {n:8d} entries: housekeeping {fmt(cpu, '{:.4f}')}% of a core, longest tick "
              f"{row['tick_max_us']:.1f} us, worst wake-up {r['stall_max_us']} us")
        print(f"  {'':8s}          SYN flood {fmt(syn and syn / 1e6, '{:.3f}')} M/s "
              f"({fmt(row['syn_vs_reflect'], '{:.2f}')}x reflect), ACK flood "
              f"{fmt(ack and ack / 1e6, '{:.3f}')} M/s ({fmt(row['ack_vs_drop'], '{:.2f}')}x drop)")
    tc = next((r for r in recs if r["test"] == "tablecost"), None)
    if tc and "result" in tc:
        res = tc["result"]["tables"]
        out["table_cost"] = res
        one = res[0] if res else None
        print("  BPF_PROG_RUN net ns per packet (median; a tracked segment picked at random "
              "among the entries):")
        for c in res:
            extra = ""
            if one and c is not one:
                extra = f"  (tracked: {c['established_ns'] - one['established_ns']:+.0f} ns " \
                        f"against {one['entries']} entry)"
            print(f"    {c['entries']:8d} entries: SYN {c['syn_ns']:6.1f}  forged ACK "
                  f"{c['ack_forged_ns']:6.1f}  tracked {c['established_ns']:6.1f}{extra}")
    elif tc:
        missing.append("tablecost")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
