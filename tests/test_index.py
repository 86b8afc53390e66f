"The home notebook runs top to bottom in a fresh Jupyter kernel, outside the repository, as a reader opens it."
import os, shutil, subprocess, sys
from pathlib import Path
import nbformat

root = Path(__file__).resolve().parents[1]


def test_index_runs_in_a_fresh_kernel_outside_the_repository(tmp_path):
    nb = tmp_path/'index.ipynb'
    shutil.copy(root/'nbs'/'index.ipynb', nb)
    p = subprocess.run([sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--inplace',
                        '--ExecutePreprocessor.timeout=900', str(nb)], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
    assert p.returncode == 0, p.stderr[-3000:]
    cells = nbformat.read(nb, as_version=4).cells
    outputs = [o for c in cells if c.cell_type == 'code' for o in c.get('outputs', [])]
    assert not [o for o in outputs if o.get('output_type') == 'error']
    assert sum('image/png' in o.get('data', {}) for o in outputs) == 2        # the quick sweep's figure, and the committed runs'
    table = [o['data']['text/markdown'] for o in outputs if 'text/markdown' in o.get('data', {})]
    assert any('| batch_size | runs |' in t and '1.72 ± 0.01' in t for t in table), table   # from the package's copy, no clone
    assert len(list((tmp_path/'htsr-results'/'quick'/'runs').glob('*/manifest.json'))) == 6
