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
