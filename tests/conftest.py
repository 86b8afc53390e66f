import gzip, os
from pathlib import Path

# Slow checks (kill storms, tmpfs disks, cross-target compiles, pip installs, retraining committed runs) are marked
# `slow`: the README's quick command leaves them out (-m "not slow"), .ci/run runs them after it.
def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: a slow check, run by .ci/run after the quick tests (pytest -m slow)')
    config.addinivalue_line('markers', 'torch: needs PyTorch; .ci/run runs these in a venv with torch (pytest -m torch)')


def _idx(a):
    "The bytes of a uint8 IDX file holding array `a`."
    return b'\0\0\x08' + bytes([a.ndim]) + b''.join(n.to_bytes(4, 'big') for n in a.shape) + a.tobytes()


def _data_dir():
    "The shared IDX files beside the repository (CI), or Keras' download written once as IDX files (a user's machine)."
    shared = Path(__file__).resolve().parents[2]/'shared'/'data'
    if (shared/'mnist').is_dir(): return shared
    cache = Path.home()/'.cache'/'htsr_overtrain'/'data'
    from htsr_overtrain.data import DATASETS, FILES, _from_keras
    for name, folder in DATASETS.items():
        d = cache/folder
        if all((d/f).exists() for f in FILES.values()): continue
        d.mkdir(parents=True, exist_ok=True)
        for part, a in _from_keras(name).items(): (d/FILES[part]).write_bytes(gzip.compress(_idx(a), mtime=0))
    return cache


os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
if 'HTSR_DATA_DIR' not in os.environ: os.environ['HTSR_DATA_DIR'] = str(_data_dir())


# Shared helpers: the command as a user runs it, its one-line errors, and results compared without wall time.
# Test files import them (`from conftest import cli, ...`); `tiny` is a fixture every file can use.
import shutil, subprocess
import pandas as pd
import pytest

DATA = Path(os.environ['HTSR_DATA_DIR'])
TINY = ['--seed', '42', '--batch-sizes', '16', '32', '--limit-train', '3000', '--max-epochs', '2']   # the `tiny` sweep


def _exe():
    exe = shutil.which('htsr-overtrain')
    assert exe, 'the htsr-overtrain command is not installed: pip install -e .'
    return exe


def cli(*args, timeout=600, cwd=None):
    "Run `htsr-overtrain ARGS` in a fresh process to the end; return the completed process."
    return subprocess.run([_exe(), *map(str, args)], capture_output=True, cwd=cwd,
                          text=True, timeout=timeout, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))


def start(*args, **kw):
    "Start `htsr-overtrain ARGS` in a fresh process (stdout and stderr piped, as text, unless `kw` says otherwise)."
    kw = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) | kw
    return subprocess.Popen([_exe(), *map(str, args)], **kw)


def one_line_error(p, *words):
    "The process failed with one line on stderr that names `words`, and no traceback."
    err = p.stderr.strip().splitlines()
    assert p.returncode != 0
    assert 'Traceback' not in p.stderr and len([l for l in err if 'htsr-overtrain' in l]) == 1, p.stderr
    line = [l for l in err if 'htsr-overtrain' in l][0]
    for w in words: assert w in line, line


def numbers(results):
    "A results table (a DataFrame, or the folder holding results.csv) with everything but the wall time."
    df = results if isinstance(results, pd.DataFrame) else pd.read_csv(Path(results)/'results.csv')
    return df.drop(columns=['train_seconds']).reset_index(drop=True)


def pool_workers(p):
    "The live pool workers of the command `p` (a worker that just died is a zombie until reaped, and is left out)."
    import psutil
    live = []
    for c in psutil.Process(p.pid).children(recursive=True):
        try:
            if 'spawn_main' in ' '.join(c.cmdline()): live.append(c)
        except psutil.Error: pass                          # zombie, or gone between the listing and the look
    return live


def running(c):
    "Whether process `c` is still alive (neither gone nor a zombie)."
    import psutil
    try: return c.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess: return False


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "A tiny sweep written by the command line: `(folder, process)`."
    out = tmp_path_factory.mktemp('sweep')/'out'
    p = cli('run', *TINY, '--out', out, '--quiet')
    assert p.returncode == 0, p.stderr
    return out, p
