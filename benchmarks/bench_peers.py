"""Seconds per epoch of the fast engine beside JAX (a jitted `lax.scan` epoch) and Keras (`fit` with `jit_compile`).

    python benchmarks/bench_peers.py [--repeats 3] [--rounds 3] [--keras-steps 2000] [--jax-python PYTHON]

The same task for each: the 54,000 MNIST training images, the experiment's MLP from the same initial weights,
plain SGD at learning rate 0.01, only layer 1 training (and every layer at batch size 32). Each contender runs in a
process of its own, pinned to one core with one thread, and the contenders take turns (ours, JAX, Keras, ours,
JAX, Keras, ...) so that a machine's drift hits them alike. A contender's figure is the median over rounds of its
median epoch (after a warm-up epoch that compiles); JAX gathers each epoch's order on the device, inside the
jitted epoch; Keras runs 500 steps per compiled call (`steps_per_execution`), its epoch timed over its first
`--keras-steps` mini-batches and scaled to the full epoch (its cost per step does not depend on the epoch's length). The table
gives each peer's time divided by ours: above 1, ours is faster.

JAX is not a dependency of the package: install it where the benchmark can find it (`pip install "jax[cpu]"`,
in a virtual environment made with `--system-site-packages` if it should not touch this one) and pass that
environment's python as `--jax-python`; without it the JAX column says so.
"""
import argparse, json, os, platform, shutil, statistics, subprocess, sys

CASES = [(1, (1,)), (2, (1,)), (8, (1,)), (32, (1,)), (32, (1, 2, 3))]   # (batch size, layers that train)

def _data():
    import numpy as np
    from htsr_overtrain.training import RunConfig, prepare_data, initial_weights
    d = prepare_data(RunConfig())
    return d['x_train'], d['y_train'], initial_weights(RunConfig()), np

def _timed(epoch, repeats):
    import time
    epoch(0)                                                   # warm-up: compiles
    times = []
    for r in range(repeats):
        t0 = time.perf_counter(); epoch(r + 1); times.append(time.perf_counter() - t0)
    return statistics.median(times)

def ours(bs, trainable, repeats, steps):
    x, y, w0, np = _data()
    from htsr_overtrain.engines import SparseTrainer
    t = SparseTrainer(w0, trainable, bs, 0.01, 'sgd', x, y)
    return _timed(lambda r: t.epoch(np.random.default_rng(r).permutation(len(y))), repeats)

def jax_(bs, trainable, repeats, steps):
    os.environ['XLA_FLAGS'] = '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'
    import jax, jax.numpy as jnp
    x, y, w0, np = _data()
    n = len(y) // bs * bs                                      # whole batches (at most bs - 1 images left out)
    params = [jnp.asarray(w) for w in w0]
    train = [i // 2 + 1 in trainable for i in range(6)]
    def loss(p, xb, yb):
        h = jax.nn.relu(xb @ p[0] + p[1]); h = jax.nn.relu(h @ p[2] + p[3]); z = h @ p[4] + p[5]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), yb[:, None], 1))
    def step(p, batch):
        g = jax.grad(loss)(p, *batch)
        return [w - 0.01 * gw if tr else w for w, gw, tr in zip(p, g, train)], None
    X, Y = jnp.asarray(x), jnp.asarray(y)                     # on the device once; each epoch gathers its order there
    run = jax.jit(lambda p, o: jax.lax.scan(step, p, (X[o].reshape(-1, bs, X.shape[1]), Y[o].reshape(-1, bs)))[0])
    def epoch(r):
        jax.block_until_ready(run(params, jnp.asarray(np.random.default_rng(r).permutation(len(y))[:n])))
    return _timed(epoch, repeats)

def keras_(bs, trainable, repeats, steps):
    os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
    from htsr_overtrain.seeding import import_tensorflow
    tf, keras = import_tensorflow(1)
    x, y, w0, np = _data()
    from htsr_overtrain.model import build_mlp3
    m = min(len(y), steps * bs)
    model = build_mlp3(trainable)
    model.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(), jit_compile=True,
                  steps_per_execution=min(steps, 500))        # Keras' fastest: many steps in one compiled call
    xs = x[:m].reshape(m, 28, 28)
    return _timed(lambda r: model.fit(xs, y[:m], batch_size=bs, epochs=1, shuffle=True, verbose=0), repeats) * len(y) / m

WHO = {'ours': ours, 'jax': jax_, 'keras': keras_}

def one(who, bs, trainable, repeats, steps, python):
    "Time `who` in a fresh process pinned to core 0; seconds per epoch, or None with why."
    cmd = [python, __file__, '--one', who, '--bs', str(bs), '--trainable', ','.join(map(str, trainable)),
           '--repeats', str(repeats), '--keras-steps', str(steps)]
    if shutil.which('taskset'): cmd = ['taskset', '-c', '0'] + cmd
    env = dict(os.environ, OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1', MKL_NUM_THREADS='1')
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if p.returncode: return None, (p.stderr.strip().splitlines() or ['failed'])[-1][:120]
    return json.loads(p.stdout.strip().splitlines()[-1]), ''

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=3, help='timed epochs per contender and round (after one warm-up)')
    p.add_argument('--rounds', type=int, default=3, help='turns each contender takes, interleaved')
    p.add_argument('--keras-steps', type=int, default=2000, help="mini-batches of Keras' timed epoch (scaled to 54,000 images)")
    p.add_argument('--jax-python', default=sys.executable, help='a python that can import jax')
    p.add_argument('--one'); p.add_argument('--bs', type=int); p.add_argument('--trainable')
    a = p.parse_args()
    if a.one:
        print(json.dumps(WHO[a.one](a.bs, tuple(int(t) for t in a.trainable.split(',')), a.repeats, a.keras_steps))); return
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    print(f"MNIST, 54,000 images an epoch, SGD 0.01, one core and one thread each; median over {a.rounds} interleaved "
          f"rounds of the median of {a.repeats} epochs; CPU: {cpu}")
    print(f"{'batch':>5} {'trains':>7} {'ours s':>8} {'JAX s':>8} {'Keras s':>8} {'JAX/ours':>9} {'Keras/ours':>10}")
    for bs, tr in CASES:
        got, why = {w: [] for w in WHO}, {}
        for _ in range(a.rounds):
            for w in WHO:
                s, e = one(w, bs, tr, a.repeats, a.keras_steps, a.jax_python if w == 'jax' else sys.executable)
                if s is None: why[w] = e
                else: got[w].append(s)
        med = {w: statistics.median(v) if v else float('nan') for w, v in got.items()}
        print(f"{bs:>5} {'layer 1' if tr == (1,) else 'all':>7} {med['ours']:>8.3f} {med['jax']:>8.3f} {med['keras']:>8.3f} "
              f"{med['jax'] / med['ours']:>9.2f} {med['keras'] / med['ours']:>10.2f}", flush=True)
        for w, e in why.items(): print(f"      {w}: {e}")

if __name__ == '__main__': main()
