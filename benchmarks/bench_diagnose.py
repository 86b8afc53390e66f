"""Time `htsr-overtrain diagnose` as a user runs it (issue 23: 414 s before; issue 20's targets: a 4096x4096
layer in under 15 s on one core, a 125M-parameter model's 2-D layers in under 5 minutes on 2 cores).

    python benchmarks/bench_diagnose.py          # one Dense(4096x4096), as .keras and as .safetensors
    python benchmarks/bench_diagnose.py --gpt2   # also GPT-2 small's shapes (124M parameters) as .safetensors

Prints the CPU, the seconds of each command and its table (heavy-tailed random weights: the timings, not the
verdicts, are the point).
"""
import argparse, os, subprocess, tempfile, time
from pathlib import Path
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

def cpu():
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'): return line.split(':', 1)[1].strip()

def timed(label, path):
    t = time.perf_counter()
    p = subprocess.run(['htsr-overtrain', 'diagnose', str(path), '--quiet'], capture_output=True, text=True)
    print(f"{label}: {time.perf_counter() - t:.1f} s (exit {p.returncode})")
    out = (p.stdout or p.stderr).splitlines()
    print('\n'.join(out[:6] + (['...'] if len(out) > 6 else [])))

def gpt2_shapes():
    "GPT-2 small's weights, PyTorch layout: embeddings, and per block attention and MLP projections, norms and biases."
    s = {'wte.weight': (50257, 768), 'wpe.weight': (1024, 768)}
    for b in range(12):
        s |= {f'h.{b}.ln_1.weight': (768,), f'h.{b}.attn.c_attn.weight': (2304, 768), f'h.{b}.attn.c_attn.bias': (2304,),
              f'h.{b}.attn.c_proj.weight': (768, 768), f'h.{b}.ln_2.weight': (768,), f'h.{b}.mlp.c_fc.weight': (3072, 768),
              f'h.{b}.mlp.c_proj.weight': (768, 3072)}
    return s

if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--gpt2', action='store_true', help="also time GPT-2 small's 124M parameters")
    args = a.parse_args()
    import numpy as np, keras
    from safetensors.numpy import save_file
    print(f"CPU: {cpu()}, {os.cpu_count()} cores")
    rng = np.random.default_rng(0)
    W = rng.standard_t(3, (4096, 4096)).astype('float32') / 64
    with tempfile.TemporaryDirectory() as d:
        m = keras.Sequential([keras.Input((4096,)), keras.layers.Dense(4096), keras.layers.Dense(10)])
        m.layers[0].set_weights([W, np.zeros(4096, 'float32')])
        m.save(f'{d}/big.keras')
        timed('diagnose, one Dense(4096x4096), .keras', f'{d}/big.keras')
        save_file({'fc.weight': np.ascontiguousarray(W.T)}, f'{d}/big.safetensors')
        timed('diagnose, one 4096x4096 weight, .safetensors', f'{d}/big.safetensors')
        if args.gpt2:
            shapes = gpt2_shapes()
            save_file({k: (rng.standard_t(3, s) / 30).astype('float32') for k, s in shapes.items()}, f'{d}/gpt2.safetensors')
            n = sum(int(np.prod(s)) for s in shapes.values())
            timed(f"diagnose, GPT-2 small's shapes ({n / 1e6:.0f}M parameters, {len(shapes)} tensors), .safetensors",
                  f'{d}/gpt2.safetensors')
