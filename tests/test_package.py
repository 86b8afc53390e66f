"What a user installs: the wheel and sdist hold the library only, pass twine's checks, and a wheel installed in a fresh venv runs."
import os, subprocess, sys, tarfile, zipfile
from pathlib import Path
import pytest

root = Path(__file__).resolve().parents[1]


def run(*cmd, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900, **kw)
    assert p.returncode == 0, (cmd, p.stdout[-2000:], p.stderr[-3000:])
    return p


@pytest.mark.slow
def test_wheel_and_sdist_hold_the_library_and_install(tmp_path):
    clone = tmp_path/'clone'
    run('git', 'clone', '-q', root, clone)                    # what is committed, as a user gets it
    run(sys.executable, '-m', 'build', '--no-isolation', '--outdir', tmp_path/'dist', clone)
    wheel, = (tmp_path/'dist').glob('*.whl'); sdist, = (tmp_path/'dist').glob('*.tar.gz')
    names = zipfile.ZipFile(wheel).namelist()
    assert all(n.startswith(('htsr_overtrain/', 'htsr_overtrain-')) for n in names), names
    snames = tarfile.open(sdist).getnames()
    for bad in ('/results/', '/nbs/', '/tests/', '.npz', '.ipynb'): assert not [n for n in snames if bad in n], bad
    assert wheel.stat().st_size < 1_000_000 and sdist.stat().st_size < 1_000_000
    run(sys.executable, '-m', 'twine', 'check', '--strict', wheel, sdist)
    venv = tmp_path/'venv'                                    # the dependencies come from this Python: nothing downloaded
    run(sys.executable, '-m', 'venv', '--system-site-packages', venv)
    run(venv/'bin'/'python', '-m', 'pip', 'install', '-q', '--no-deps', '--no-index', wheel)
    where = run(venv/'bin'/'python', '-c', 'import htsr_overtrain; print(htsr_overtrain.__file__)', cwd=tmp_path).stdout
    assert where.startswith(str(venv)), where                 # the wheel's copy, not the checkout's
    out = tmp_path/'user'
    run(venv/'bin'/'htsr-overtrain', 'run', '--seed', '42', '--limit-train', '2000', '--max-epochs', '2', '--out', out,
        '--quiet', cwd=tmp_path, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
    assert len(list(out.glob('runs/*/manifest.json'))) == 6 and (out/'report.md').exists()
