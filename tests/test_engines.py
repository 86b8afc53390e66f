"""The fast engine gives the same bits on any x86-64 CPU, and the command line does not need TensorFlow.

A second CPU is simulated the way it would differ: Numba compiles the engine for a generic x86-64 (SSE2 only,
no AVX, no FMA) instead of the host's CPU, and glibc is told to hide its AVX2/FMA/AVX-512 code paths. The
weights after the same short training must be equal bit for bit, and so must every loss and score."""
import os, subprocess, sys, textwrap
from pathlib import Path
import pytest

SCRIPT = textwrap.dedent('''
    import hashlib, json, numpy as np
    from htsr_overtrain.engines import SparseTrainer, evaluate, _accum
    from htsr_overtrain.model import glorot_weights
    from htsr_overtrain.data import load_dataset
    (x, y), (xt, yt) = load_dataset('mnist')
    x, y = x[:3000].reshape(3000, -1).astype(np.float32) / 255, y[:3000].astype(np.int32)
    xt, yt = xt[:2000].reshape(2000, -1).astype(np.float32) / 255, yt[:2000].astype(np.int32)
    out = {}
    for tr, bs, opt, lr in [((1,), 1, 'sgd', 0.01), ((1, 2, 3), 1, 'sgd', 0.01), ((1, 2, 3), 4, 'sgd', 0.01),
                            ((1,), 32, 'sgd', 0.01), ((2,), 16, 'sgd', 0.05), ((1, 2, 3), 8, 'adam', 0.001)]:
        t = SparseTrainer(glorot_weights(1), tr, bs, lr, opt, x, y)
        losses = [t.epoch(np.random.default_rng(e).permutation(len(y))) for e in range(2)]
        h = hashlib.sha256()
        for w in t.weights(): h.update(w.tobytes())
        h.update(np.array(losses + [evaluate(t.weights(), xt, yt)], np.float64).tobytes())
        out[f"{tr} bs{bs} {opt}"] = h.hexdigest()
    asm = ''.join(_accum.inspect_asm(s) for s in _accum.signatures)
    out['simd'] = 'zmm' if '%zmm' in asm else 'ymm' if '%ymm' in asm else 'xmm'
    out['fma'] = any(f in asm for f in ('vfmadd', 'vfnmadd', 'vfmsub'))
    print(json.dumps(out))
''')


def train_on(tmp_path, name, **env):
    "Run SCRIPT in a fresh process with its own Numba cache and `env`; return its JSON output."
    import json
    e = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path/name), **env)
    p = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True, text=True, env=e, timeout=900)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_generic_and_host_cpu_give_identical_weights(tmp_path):
    host = train_on(tmp_path, 'host')
    generic = train_on(tmp_path, 'generic', NUMBA_CPU_NAME='generic', NUMBA_CPU_FEATURES='',
                       GLIBC_TUNABLES='glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX_Usable,-AVX2_Usable,-FMA_Usable')
    assert generic['simd'] == 'xmm'                    # the generic build really is another code path
    flags = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').exists() else ''
    if ' avx2' in flags: assert host['simd'] in ('ymm', 'zmm'), host
    assert not host['fma'] and not generic['fma']       # no fused multiply-add, whatever the CPU offers
    assert {k: v for k, v in host.items() if k not in ('simd', 'fma')} == \
           {k: v for k, v in generic.items() if k not in ('simd', 'fma')}


@pytest.mark.parametrize('args', [['--help'], ['presets'], ['report', 'MISSING'],
                                  ['run', '--seed', '42', '--batch-sizes', '32', '--limit-train', '1000', '--max-epochs', '1', '--workers', '1']])
def test_command_line_does_not_import_tensorflow(tmp_path, args):
    args = [str(tmp_path/'out') if a == 'MISSING' else a for a in args]
    if args[0] == 'run': args += ['--out', str(tmp_path/'run'), '--quiet']
    code = ("import sys, htsr_overtrain.cli as c\n"
            f"try: c.main({args!r})\n"
            "except SystemExit: pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stderr
    for noise in ('cuInit', 'oneDNN', 'cuda', 'absl'): assert noise not in p.stderr + p.stdout


@pytest.mark.slow
def test_engine_stays_in_bounds(tmp_path):
    "Every array access checked (NUMBA_BOUNDSCHECK), on the most lit images (Fashion-MNIST), odd batch sizes, both optimizers."
    code = textwrap.dedent('''
        import numpy as np
        from htsr_overtrain.engines import SparseTrainer, evaluate
        from htsr_overtrain.model import glorot_weights
        from htsr_overtrain.data import load_dataset
        (x, y), _ = load_dataset('fashion_mnist')
        x, y = x[:1500].reshape(1500, -1).astype(np.float32) / 255, y[:1500].astype(np.int32)
        for tr in [(1,), (1, 2, 3), (2,), (3,)]:
            for bs in (1, 2, 7, 64):
                for opt in ('sgd', 'adam'):
                    t = SparseTrainer(glorot_weights(1), tr, bs, 0.01, opt, x, y)
                    t.epoch(np.random.default_rng(0).permutation(len(y)))
                    assert np.isfinite(evaluate(t.weights(), x, y)[0])
        print('ok')
    ''')
    e = dict(os.environ, NUMBA_BOUNDSCHECK='1', NUMBA_CACHE_DIR=str(tmp_path/'cache'))
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=e, timeout=900)
    assert p.returncode == 0 and p.stdout.strip() == 'ok', p.stderr[-3000:]
