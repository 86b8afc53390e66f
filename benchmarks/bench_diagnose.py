"""Time `htsr-overtrain diagnose` on a model with one 4096x4096 Dense layer (issue 23: 414 s before).

python benchmarks/bench_diagnose.py   # prints the CPU, the seconds of the command, and its table
"""
import os, subprocess, sys, tempfile, time
from pathlib import Path
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

def cpu():
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'): return line.split(':', 1)[1].strip()

if __name__ == '__main__':
    import numpy as np, keras
    with tempfile.TemporaryDirectory() as d:
        m = keras.Sequential([keras.Input((4096,)), keras.layers.Dense(4096), keras.layers.Dense(10)])
        rng = np.random.default_rng(0)
        m.layers[0].set_weights([rng.standard_t(3, (4096, 4096)).astype('float32') / 64, np.zeros(4096, 'float32')])
        m.save(f'{d}/big.keras')
        t = time.perf_counter()
        p = subprocess.run(['htsr-overtrain', 'diagnose', f'{d}/big.keras', '--quiet'], capture_output=True, text=True)
        secs = time.perf_counter() - t
    print(f"CPU: {cpu()}, {os.cpu_count()} cores")
    print(f"diagnose, one Dense(4096x4096): {secs:.1f} s (exit {p.returncode})")
    print(p.stdout or p.stderr)
