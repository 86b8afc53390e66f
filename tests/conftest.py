import os
from pathlib import Path

# The test data: the shared IDX files beside the repository, unless HTSR_DATA_DIR says otherwise.
os.environ.setdefault('HTSR_DATA_DIR', str((Path(__file__).parents[2]/'shared'/'data').resolve()))
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
