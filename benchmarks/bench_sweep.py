"""Wall time of the full default sweep, as a user runs it: `htsr-overtrain run` (the blog's protocol, 30 runs).

    python benchmarks/bench_sweep.py [--out FOLDER] [-- extra htsr-overtrain run options]

Runs the command in a fresh folder (default: a temporary one, removed afterwards), with the machine's cores as the
command's default worker count chooses them, and prints the wall time, the CPU and the number of runs it wrote.
Numba's cache is whatever the machine has: run it once before to time a warm cache.
"""
import argparse, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--out', default=None, help='results folder to write (kept); default: a temporary folder')
p.add_argument('extra', nargs='*', help='more `htsr-overtrain run` options, after --')
a = p.parse_args()

out = Path(a.out) if a.out else Path(tempfile.mkdtemp())/'sweep'
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
t0 = time.perf_counter()
r = subprocess.run(['htsr-overtrain', 'run', '--out', str(out), '--quiet', *a.extra], capture_output=True, text=True)
wall = time.perf_counter() - t0
if r.returncode: sys.exit(f"htsr-overtrain run failed ({r.returncode}): {r.stderr.strip()[-500:]}")
df = pd.read_csv(out/'results.csv')
print(f"CPU: {cpu}, {os.cpu_count()} cores")
print(f"htsr-overtrain run {' '.join(a.extra)}: {len(df)} runs, {df['epochs'].sum()} epochs, wall {wall / 60:.1f} min "
      f"(training {df['train_seconds'].sum() / 60:.1f} min summed over runs)")
if not a.out: shutil.rmtree(out.parent)
