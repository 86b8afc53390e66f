"""Where an epoch of the fast engine spends its time, loop by loop (seconds per epoch, one thread, real MNIST).

    python benchmarks/profile_kernels.py [--repeats 3] [--batch-sizes 1 2 8 32] [--trainable 1 | 1,2,3] [--dataset mnist]

Each row times an epoch that runs the engine's phases up to and including one more loop, so the differences
between rows are the loops' own costs: the first layer's forward rows (`_accum` over the lit pixels), the later
layers' forward rows and the softmax, the deltas (`_backward`), the first trainable layer's step (`_step_first`:
counting sort, gradient rows, update), the later layers' steps and the biases'. The weights are updated only in the
last row (the full `_batch`), so the earlier rows see the initial weights: their sparsity differs a little from a
trained network's, which is why the shares are read as a profile, not as exact costs.
"""
import argparse, os, platform, statistics, time
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import numpy as np, numba
from htsr_overtrain.training import RunConfig, prepare_data, initial_weights
from htsr_overtrain.engines import SparseTrainer
from htsr_overtrain._kernels import (_scratch, _accum, _forward, _xent, _backward, _step_first, _step_later,
                                     _step_biases, _batch)

@numba.njit
def _phases(x, y, order, bs, l0, train, adam, lr, net, grads, upto):
    "One epoch that runs phases 0..`upto` of every mini-batch: 0 first layer's rows, 1 + later layers and softmax, 2 + deltas, 3 + first step, 4 + later steps, 5 + biases, 6 the full `_batch`."
    s = _scratch(net.Ws, bs, l0)
    acc = 0.0
    for at in range(0, order.shape[0], bs):
        nb = min(bs, order.shape[0] - at)
        if upto == 6:
            l, c = _batch(x, y, order, at, nb, l0, train, adam, lr, net, grads, s); acc += l; continue
        for b in range(nb):
            o = order[at + b]
            if upto == 0:
                h = s.H[l0]
                for j in range(h.shape[1]): h[b, j] = 0.0
                p = x.indptr[o]
                _accum(h, b, net.Ws[l0], x.idx[p:], x.val[p:], x.indptr[o + 1] - p)
                continue
            _forward(x, o, b, l0, 2, net.Ws, net.Bs, s.H, s.ks, s.vs)
            lb, c = _xent(s.H[2], b, y[o], s.D[2], 1.0 / nb, s.e); acc += lb
            if upto >= 2: _backward(b, l0, net.WTs, s)
        if upto >= 3: _step_first(x, order, at, nb, l0, adam, np.zeros_like(lr), net, grads, s)
        if upto >= 4: _step_later(nb, l0, train, adam, np.zeros_like(lr), net, grads, s)
        if upto >= 5: _step_biases(nb, l0, train, adam, np.zeros_like(lr), net, grads, s)
    return acc

NAMES = ['first layer forward (_accum)', '+ later layers, softmax', '+ deltas (_backward)', '+ first step (_step_first)',
         '+ later steps (_step_later)', '+ biases (_step_biases)', 'full _batch (updates weights)']

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 2, 8, 32])
    p.add_argument('--trainable', default='1')
    p.add_argument('--dataset', default='mnist', choices=['mnist', 'fashion_mnist'])
    a = p.parse_args()
    trainable = tuple(int(t) for t in a.trainable.split(','))
    cfg = RunConfig(dataset=a.dataset)
    d = prepare_data(cfg)
    x, y, w0 = d['x_train'], d['y_train'], initial_weights(cfg)
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    print(f"{a.dataset}, {len(y)} images an epoch, layers {trainable} train, SGD 0.01; median of {a.repeats}; CPU: {cpu}")
    print(f"{'phase':>34} " + ' '.join(f"{'bs ' + str(bs):>14}" for bs in a.batch_sizes))
    rows = {}
    for bs in a.batch_sizes:
        t = SparseTrainer(w0, trainable, bs, 0.01, 'sgd', x, y)
        rng = np.random.default_rng(0)
        for upto in range(7):
            order = rng.permutation(len(y)).astype(np.int64)
            _phases(t.x, t.y, order, bs, t.l0, t.train, t.adam, t.lr, t.net, t.grads, upto)   # compile, warm
            times = []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                _phases(t.x, t.y, order, bs, t.l0, t.train, t.adam, t.lr, t.net, t.grads, upto)
                times.append(time.perf_counter() - t0)
            rows.setdefault(upto, []).append(statistics.median(times))
    for upto in range(7):
        cells = []
        for i, v in enumerate(rows[upto]):
            own = v - rows[upto - 1][i] if 0 < upto < 6 else v
            cells.append(f"{v:6.3f} ({own:+.3f})" if 0 < upto < 6 else f"{v:6.3f}        ")
        print(f"{NAMES[upto]:>34} " + ' '.join(f"{c:>14}" for c in cells), flush=True)

if __name__ == '__main__': main()
