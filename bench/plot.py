#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""plot.py - the picture of `make bench`: bench.json into an SVG.

  plot.py BENCH.json OUT.svg

One panel per set-up (one-core, two-cores): the SYN flood's answered rate
of each mode side by side (bar: median of the rounds, whisker: min to max),
the ratios of report.py under the bars, and the ACK flood (forged cookies
dropped, shakeoff and xdp_drop) when it was measured. Runs on any saved
bench.json (make bench writes $O/bench.json); needs python3-matplotlib.
Exit status 1 if the file holds no SYN flood measurement.
"""
import json
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

MODES = ["shakeoff", "kernel", "nft", "reflect", "drop"]
COLOURS = {"shakeoff": "#1f77b4", "kernel": "#ff7f0e", "nft": "#2ca02c",
           "reflect": "#9467bd", "drop": "#7f7f7f"}
RATIOS = ["shakeoff/kernel", "shakeoff/nft", "shakeoff/reflect"]


def panel(ax, name, syn, ratios, ack):
    # the known modes in their order, then any other the result has
    modes = [m for m in MODES + sorted(set(syn) - set(MODES))
             if isinstance(syn.get(m), dict) and syn[m].get("median") is not None]
    med = [syn[m]["median"] / 1e6 for m in modes]
    lo = [(syn[m]["median"] - syn[m]["min"]) / 1e6 for m in modes]
    hi = [(syn[m]["max"] - syn[m]["median"]) / 1e6 for m in modes]
    xs = list(range(len(modes)))
    ax.bar(xs, med, yerr=[lo, hi], capsize=4, color=[COLOURS.get(m, "#8c564b") for m in modes])
    for x, v in zip(xs, med):
        ax.annotate(f"{v:.2f}", (x, v), textcoords="offset points", xytext=(0, 3),
                    ha="center", va="bottom", fontsize=8)
    labels = list(modes)
    if ack:
        for m in ("shakeoff", "drop"):
            if ack.get(m, {}).get("median") is not None:
                xs.append(len(labels))
                labels.append(f"ACK flood\n{m}")
                v = ack[m]["median"] / 1e6
                ax.bar(xs[-1], v, color=COLOURS[m], hatch="//", alpha=0.6)
                ax.annotate(f"{v:.2f}", (xs[-1], v), textcoords="offset points",
                            xytext=(0, 3), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_title(f"{name}: SYNs answered, forged ACKs dropped")
    ax.set_ylabel("M packets/s (median of rounds, min-max)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)  # room for the ratios above the bars
    text = [f"{k} = {ratios[k]['median']:.2f}x" for k in RATIOS if k in ratios]
    if text:
        ax.text(0.98, 0.97, "ratios within rounds, median:\n" + "\n".join(text),
                transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox=dict(boxstyle="round", fc="white", ec="0.7"))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    d = json.load(open(argv[1]))
    setups = [s for s in d.get("syn", {}) if d["syn"][s]]
    if not setups:
        sys.stderr.write(f"plot.py: {argv[1]} holds no SYN flood measurement\n")
        return 1
    # Text stays text (searchable, small); no date, ids from a fixed salt:
    # the same result gives the same file.
    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["svg.hashsalt"] = "shakeoff"
    fig, axes = plt.subplots(1, len(setups), figsize=(6 * len(setups), 4.8), squeeze=False)
    for ax, s in zip(axes[0], setups):
        panel(ax, s, d["syn"][s], d.get("syn_ratios", {}).get(s, {}), d.get("ack", {}).get(s))
    info = d.get("info", {})
    fig.suptitle(f"shakeoff bench {info.get('date', '')}, kernel {info.get('kernel', '?')}, "
                 f"{info.get('cpus', '?')} CPUs, {info.get('rounds', '?')} rounds x "
                 f"{info.get('secs', '?')} s", fontsize=10)
    fig.tight_layout()
    fig.savefig(argv[2], format="svg", metadata={"Date": None})
    print(f"Written: {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
