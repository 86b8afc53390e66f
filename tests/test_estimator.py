"The 2022 estimator in the package gives what powerlaw 1.5 itself gives, on committed layers (when powerlaw 1.5 installs)."
import subprocess, sys
from pathlib import Path
import pytest

root = Path(__file__).resolve().parents[1]

COMPARE = r'''
import sys, contextlib, io, json, warnings, numpy as np
from pathlib import Path
import powerlaw
assert powerlaw.__version__ == '1.5' if hasattr(powerlaw, '__version__') else powerlaw.__file__.startswith(sys.argv[2])
from htsr_overtrain.analysis import bounded_fit
runs = [d for f in sorted(Path(sys.argv[1]).glob('*/runs')) for d in sorted(f.iterdir())[::5]]
worst, n = 0.0, 0
for d in runs:
    for ev in json.loads((d/'eigenvalues.json').read_text()).values():    # layers 1 and 2, as committed
        ev = np.array(ev, np.float64)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
             warnings.catch_warnings(), np.errstate(all='ignore'):
            warnings.simplefilter('ignore'); f = powerlaw.Fit(ev, xmax=float(ev.max()), verbose=False)
        b = bounded_fit(ev)
        worst = max(worst, abs(f.alpha - b['alpha']) / f.alpha, abs(f.xmin - b['xmin']) / f.xmin, abs(f.D - b['D']) / f.D)
        n += 1
print(n, worst)
'''


@pytest.mark.slow
def test_bounded_fit_is_powerlaw_1_5(tmp_path):
    target = tmp_path/'pl15'
    p = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target', str(target), 'powerlaw==1.5'],
                       capture_output=True, text=True, timeout=300)
    if p.returncode: pytest.skip(f'powerlaw 1.5 cannot be installed here: {p.stderr.strip().splitlines()[-1:]}')
    q = subprocess.run([sys.executable, '-c', COMPARE, str(root/'results'), str(target)], capture_output=True, text=True,
                       timeout=900, env={'PYTHONPATH': str(target), 'PATH': '/usr/bin:/bin'})
    assert q.returncode == 0, q.stderr[-2000:]
    n, worst = q.stdout.split()
    assert int(n) >= 20 and float(worst) < 1e-9, q.stdout          # the same numbers, to libm's last bits
