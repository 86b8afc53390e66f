"""Seconds per epoch of the keras engine (`model.fit`) and the fast engine, on real MNIST (54,000 training images).

    python benchmarks/bench_engines.py [--repeats 3] [--keras-steps 2000]

Both engines run in this one process, one thread each (as `htsr-overtrain run` sets them). The fast engine's
figure is the median of `--repeats` full epochs after one warm-up epoch (which pays the XLA or Numba compile). The keras
engine's is the median of `--repeats` timed `fit` calls of one epoch over the first `--keras-steps` mini-batches
(after a warm-up call), scaled to a full epoch: its cost per step does not depend on the epoch's length.
It also prints how close the fast engine comes to the arithmetic and memory-traffic floors of a step.
"""
import argparse, os, statistics, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import numpy as np
from htsr_overtrain.seeding import set_threads, reset_random_seeds, keras
set_threads(1)
from htsr_overtrain.training import RunConfig, prepare_data, initial_weights, _fast_trainer, _optimizer
from htsr_overtrain.model import build_mlp3

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--repeats', type=int, default=3)
p.add_argument('--keras-steps', type=int, default=2000)
p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 2, 4, 8, 16, 32])
a = p.parse_args()

d = prepare_data(RunConfig())
x, y = d['x_train'], d['y_train']
n = len(y)
w0 = initial_weights(RunConfig())

def fast_epoch(bs, trainable):
    ft = _fast_trainer(w0, trainable, bs, 0.01, 'sgd', x, y)  # batch size 1: the sparse Numba loop; else compiled XLA
    rng = np.random.default_rng(0)
    ft.epoch(rng.permutation(n))                               # warm-up: compiles
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter(); ft.epoch(rng.permutation(n)); times.append(time.perf_counter() - t)
    return statistics.median(times)

def keras_epoch(bs, trainable):
    m = min(n, a.keras_steps * bs)
    model = build_mlp3(trainable); model.set_weights(w0)
    model.compile(optimizer=_optimizer('sgd', 0.01), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    xi = x[:m].reshape(-1, 28, 28)
    model.fit(xi[:bs * 50], y[:bs * 50], batch_size=bs, epochs=1, verbose=0)   # warm-up: traces
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter(); model.fit(xi, y[:m], batch_size=bs, epochs=1, verbose=0); times.append(time.perf_counter() - t)
    return statistics.median(times) * n / m

print(f"MNIST, {n} training images per epoch, SGD lr 0.01, 1 thread; median of {a.repeats}")
print(f"{'trainable':>9} {'batch':>5} {'keras s/epoch':>14} {'fast s/epoch':>13} {'keras/fast':>10} {'fast us/step':>12}")
rows = []
for trainable, name in [((1,), 'layer 1'), ((1, 2, 3), 'all')]:
    for bs in a.batch_sizes:
        k, f = keras_epoch(bs, trainable), fast_epoch(bs, trainable)
        steps = -(-n // bs)
        rows.append((name, bs, k, f))
        print(f"{name:>9} {bs:>5} {k:>14.2f} {f:>13.2f} {k / f:>10.1f} {1e6 * f / steps:>12.1f}", flush=True)

# How far from the floor? Per image with layer 1 trainable, dense: forward 2*(784*300 + 300*100 + 100*10) flops,
# backward through layers 3 and 2 (2*(100*10 + 300*100)), the 784x300 gradient (2*784*300) and the update (2*784*300).
# At batch size 1 the fast engine visits only the rows of W1 whose pixel is non-zero: `lit` of them per image on average.
lit = float((x > 0).sum(1).mean())
small = 2 * (300*100 + 100*10) + 2 * (100*10 + 300*100)
flops, sparse = small + 6 * 784*300, small + 6 * lit*300
f1 = [r for r in rows if r[0] == 'layer 1' and r[1] == 1]
if f1:
    t = f1[0][3]
    print(f"\nbatch size 1, layer 1 trainable: {flops / 1e6:.2f} MFLOP per image dense, {sparse / 1e6:.2f} MFLOP over the "
          f"{lit:.0f} lit pixels; {sparse * n / t / 1e9:.1f} GFLOP/s achieved on the latter")
    traffic = 3 * lit * 300 * 4      # lit rows of W1 read for the forward pass, read and written by the update
    print(f"W1 traffic at batch size 1: {traffic / 1e6:.2f} MB per step (lit rows), {traffic * n / t / 1e9:.1f} GB/s achieved")
