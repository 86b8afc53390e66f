"""Seconds per epoch of the fast engine (and of the keras engine, `model.fit`) on real MNIST (54,000 training images).

    python benchmarks/bench_engines.py [--repeats 3] [--keras-steps 2000] [--no-keras]

Public API only. The fast engine's figure is the median of `--repeats` full epochs of `SparseTrainer` after one
warm-up epoch (which pays Numba's compile, or loads its cache). The keras engine's is the median of `--repeats`
one-epoch `fit_keras` calls over the first `--keras-steps` mini-batches (after a warm-up call), scaled to a full
epoch: its cost per step does not depend on the epoch's length. One thread each, as `htsr-overtrain run` runs them.
"""
import argparse, os, platform, statistics, time
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import numpy as np
from htsr_overtrain.training import RunConfig, prepare_data, initial_weights
from htsr_overtrain.engines import SparseTrainer, fit_keras

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--repeats', type=int, default=3)
p.add_argument('--keras-steps', type=int, default=2000)
p.add_argument('--no-keras', action='store_true', help='time the fast engine only')
p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 2, 4, 8, 16, 32])
a = p.parse_args()

d = prepare_data(RunConfig())
x, y = d['x_train'], d['y_train']
n = len(y)
w0 = initial_weights(RunConfig())

def fast_epoch(bs, trainable):
    t = SparseTrainer(w0, trainable, bs, 0.01, 'sgd', x, y)
    rng = np.random.default_rng(0)
    t.epoch(rng.permutation(n))                                # warm-up: compiles, or loads Numba's cache
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter(); t.epoch(rng.permutation(n)); times.append(time.perf_counter() - t0)
    return statistics.median(times)

def keras_epoch(bs, trainable):
    m = min(n, a.keras_steps * bs)
    cfg = RunConfig(batch_size=bs, trainable=trainable, max_epochs=1)
    part = lambda k: dict(x_train=x[:k], y_train=y[:k], x_val=x[:0], y_val=y[:0])
    fit_keras(w0, cfg, part(bs * 50))                          # warm-up: traces
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter(); fit_keras(w0, cfg, part(m)); times.append(time.perf_counter() - t0)
    return statistics.median(times) * n / m

cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
print(f"MNIST, {n} training images per epoch, SGD lr 0.01, 1 thread; median of {a.repeats}; CPU: {cpu}")
print(f"{'trainable':>9} {'batch':>5} {'keras s/epoch':>14} {'fast s/epoch':>13} {'keras/fast':>10} {'fast us/step':>12}")
for trainable, name in [((1,), 'layer 1'), ((1, 2, 3), 'all')]:
    for bs in a.batch_sizes:
        f = fast_epoch(bs, trainable)
        k = float('nan') if a.no_keras else keras_epoch(bs, trainable)
        print(f"{name:>9} {bs:>5} {k:>14.2f} {f:>13.3f} {k / f:>10.1f} {1e6 * f / -(-n // bs):>12.1f}", flush=True)
