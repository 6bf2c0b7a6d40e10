#!/usr/bin/env python3
"""Writes pi4-power-trace.csv, the synthetic trace 'make demo' replays where the machine has no
power sensor. It follows the schedule of the demo's 'bench --energy --windows 3 --window 2s'
on a 50 ms trace (settling 2 x 50 ms): idle 0-2 s; load (settling + window) 2.0-4.1 s,
6.2-8.3 s, 10.4-12.5 s; idle in between and to 15 s. Run: python3 pi4-power-trace.py."""
import math

LOADS = [(2.05, 4.15), (6.25, 8.35), (10.45, 12.55)]  # rows 2.05-4.10 s etc.: the load starts one row into the settling and ends one row into the rest
rows = []
for i in range(0, 301):
    t = i * 0.05
    idle = 2.700 + 0.002 * t  # the board warming up: +0.03 W over 15 s
    busy = any(a <= t < b for a, b in LOADS)
    w = idle + (1.150 + 0.03 * math.sin(2 * math.pi * t / 0.7) if busy else 0)
    temp = 48.0 + 0.25 * t + (2.0 if busy else 0)
    rows.append(f"{t:.3f},{w:.4f},{temp:.1f},0x0")

with open("pi4-power-trace.csv", "w") as f:
    f.write("# Synthetic Raspberry Pi 4 trace for 'make demo' when the machine has no power sensor (NOT a measurement).\n")
    f.write("# Idle 2.70 W rising 2 mW/s (warming up); one core busy adds 1.15 W +-0.03 W ripple, in three stretches laid out\n")
    f.write("# for 'bench --energy --windows 3 --window 2s --threads 1' (50 ms samples, 100 ms settling): load at 2.05-4.10 s,\n")
    f.write("# 6.25-8.30 s and 10.45-12.50 s, idle otherwise. Written by pi4-power-trace.py. Record a real one on a board with\n")
    f.write("# 'edgewatt bench --energy --record FILE.csv' (power and inference rate, replayable anywhere).\n")
    f.write("time_s,watts,temp_c,throttled\n")
    f.write("\n".join(rows) + "\n")
