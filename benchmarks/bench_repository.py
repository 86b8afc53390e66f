"""How light the repository is, and how long the README's quick test command takes (issue 17's numbers).

    python benchmarks/bench_repository.py            # sizes only (seconds)
    python benchmarks/bench_repository.py --tests    # also time nbdev_test and the quick pytest set (minutes)

Run it from a clone; the test timings need the package installed with its dev extra, and HTSR_DATA_DIR set
(or Keras' download reachable).
"""
import argparse, os, subprocess, sys, time, zlib
from collections import Counter
from pathlib import Path

root = Path(__file__).resolve().parents[1]
sh = lambda *c: subprocess.run(c, cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def sizes():
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
    print(f"CPU: {cpu}, {os.cpu_count()} cores; HEAD {sh('git', 'rev-parse', '--short', 'HEAD')}")
    print(f"du -sh results: {sh('du', '-sh', 'results').split()[0]}")
    tracked = sh('git', 'ls-files', 'results').splitlines()
    npz = [f for f in tracked if f.endswith('.npz')]
    print(f"files tracked under results/: {len(tracked)}, of them weights (.npz): {len(npz)} "
          f"({sum((root/f).stat().st_size for f in npz) / 1e6:.1f} MB)")
    print(f"bytes tracked under results/: {sum((root/f).stat().st_size for f in tracked) / 1e6:.1f} MB")
    arch = subprocess.run(['git', 'archive', 'HEAD'], cwd=root, capture_output=True, check=True).stdout
    print(f"git archive HEAD (the tree a pip install checks out): {len(arch) / 1e6:.1f} MB")
    pack = dict(l.split(': ') for l in sh('git', 'count-objects', '-vH').splitlines())
    print(f"pack of the whole history: {pack['size-pack']}")
    # What a recompute adds to the history: git stores each changed file as one zlib-compressed object, so a
    # recompute that changes every file of a folder adds at most the folder's compressed bytes (deltas make it less).
    z, n = Counter(), Counter()
    for f in tracked:
        top = f.split('/')[1] if f.count('/') > 1 else '(top)'
        z[top] += len(zlib.compress((root/f).read_bytes(), 6)); n[top] += f.endswith('/result.json')
    study = lambda k: 'confirmatory' if k.startswith('confirm-') else 'exploratory presets'
    for s in ('exploratory presets', 'confirmatory'):
        ks = [k for k in z if study(k) == s and k != '(top)']
        print(f"a full recompute of the {s} ({len(ks)} folders, {sum(n[k] for k in ks)} runs) adds to the history "
              f"at most {sum(z[k] for k in ks) / 1e6:.1f} MB (compressed as git stores it)")


def timed(name, cmd, cwd):
    t = time.time()
    p = subprocess.run(cmd, cwd=cwd, shell=True, capture_output=True, text=True)
    tail = (p.stdout.strip().splitlines() or [''])[-1]
    print(f"{name}: {time.time() - t:.0f} s, exit {p.returncode} ({tail[:100]})")


if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--tests', action='store_true', help='also time the quick test command, part by part')
    args = a.parse_args()
    sizes()
    if args.tests:
        timed('nbdev_test', 'nbdev_test', root)
        timed('pytest -q -n auto -m "not slow" tests', 'pytest -q -n auto -m "not slow" tests', root)
