"""Execute notebooks in place so the docs show their outputs, without TensorFlow's C++ start-up log lines.

    HTSR_DATA_DIR=../shared/data python tools/execute_nbs.py [nbs/NAME.ipynb ...]   (default: every notebook)

TensorFlow prints a few lines from C++ before its logging is set up ("Could not find cuda drivers", "failed
call to cuInit"); TF_CPP_MIN_LOG_LEVEL does not reach them, and they would bury the results in the rendered
docs. They are dropped from the saved outputs; everything else is kept. Run `nbdev_clean` afterwards.
"""
import re, sys
from pathlib import Path
import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

root = Path(__file__).resolve().parents[1]
NOISE = re.compile(r'^(WARNING: All log messages before absl::InitializeLog\(\).*|[IWE]\d{4} \S+ +\d+ \S+:\d+\] .*)$')

def clean(nb):
    for c in nb.cells:
        if c.cell_type != 'code': continue
        outs = []
        for o in c.outputs:
            if o.output_type == 'stream' and o.name == 'stderr':
                o.text = ''.join(l for l in o.text.splitlines(keepends=True) if not NOISE.match(l.rstrip('\n')))
                if not o.text.strip(): continue
            outs.append(o)
        c.outputs = outs

class SkipNoEval(ExecutePreprocessor):
    "Execute like nbdev_test: cells marked `#| eval: false` are not run."
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == 'code' and re.search(r'^#\|\s*eval:\s*false', cell.source, re.M): return cell, resources
        return super().preprocess_cell(cell, resources, index)

paths = [Path(p) for p in sys.argv[1:]] or sorted((root/'nbs').glob('*.ipynb'))
for p in paths:
    nb = nbformat.read(p, as_version=4)
    SkipNoEval(timeout=1800, kernel_name='python3').preprocess(nb, {'metadata': {'path': str(p.parent)}})
    clean(nb)
    nbformat.write(nb, p)
    print(f"executed {p}")
