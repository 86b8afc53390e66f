"""Trust nothing on disk or on the wire: run folders that lie, data headers that lie, a Dask cluster that fails, bad
arguments, and bugs that must not pass for the user's mistakes. Each case ends in correct results or in one line
that names the problem and the fix, with nothing finished lost."""
import gzip, hashlib, json, os, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import cli, start, one_line_error, numbers, TINY, DATA

sha = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()


def runs(out):
    "Run folder name -> its result.json's test accuracy and seed."
    return {d.name: json.loads((d/'result.json').read_text())['seed'] for d in sorted((Path(out)/'runs').iterdir())}


# 1. A run folder is trusted by what it is, not only by what its files say

def _copy(tiny, tmp_path):
    out, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(out, copy)
    ids = sorted(p.name for p in (copy/'runs').iterdir())          # bs0016..., bs0032...
    return copy, ids


def test_a_run_folder_that_is_a_link_is_set_aside_never_written_through(tiny, tmp_path):
    copy, (bs16, bs32) = _copy(tiny, tmp_path)
    before = {f.name: f.read_bytes() for f in (copy/'runs'/bs16).iterdir()}
    shutil.rmtree(copy/'runs'/bs32); (copy/'runs'/bs32).symlink_to(copy/'runs'/bs16)
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0, p.stderr
    assert f'set aside runs/{bs32} as set-aside/{bs32}: a link' in p.stderr, p.stderr
    assert {f.name: f.read_bytes() for f in (copy/'runs'/bs16).iterdir()} == before      # the run it pointed at, untouched
    assert not (copy/'runs'/bs32).is_symlink() and (copy/'set-aside'/bs32).is_symlink()
    pd.testing.assert_frame_equal(numbers(copy), numbers(tiny[0]))


@pytest.mark.slow
def test_a_run_of_another_sweep_is_set_aside(tiny, tmp_path):
    copy, (bs16, _) = _copy(tiny, tmp_path)
    other = tmp_path/'other'
    assert cli('run', '--seed', '7', '--batch-sizes', '16', '--limit-train', '3000', '--max-epochs', '2', '--out', other,
               '--quiet').returncode == 0
    stranger = next((other/'runs').iterdir()); shutil.copytree(stranger, copy/'runs'/stranger.name)
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0 and 'a run of another sweep' in p.stderr and stranger.name in p.stderr, p.stderr
    assert set(numbers(copy)['seed']) == {42} and (copy/'set-aside'/stranger.name/'result.json').exists()


@pytest.mark.slow
def test_a_config_edited_with_its_manifest_is_set_aside_and_redone(tiny, tmp_path):
    "config.json and result.json edited consistently, the manifest recomputed: the folder's name still gives it away."
    copy, (bs16, bs32) = _copy(tiny, tmp_path)
    d = copy/'runs'/bs32
    cfg = json.loads((d/'config.json').read_text()); cfg['learning_rate'] = 0.5
    (d/'config.json').write_text(json.dumps(cfg, indent=1))
    sums = json.loads((d/'manifest.json').read_text()); sums['config.json'] = sha(d/'config.json')
    (d/'manifest.json').write_text(json.dumps(sums))
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0 and f'set aside runs/{bs32}' in p.stderr and 'is not the configuration of' in p.stderr, p.stderr
    pd.testing.assert_frame_equal(numbers(copy), numbers(tiny[0]))


@pytest.mark.slow
def test_a_run_copied_under_another_runs_name_is_set_aside(tiny, tmp_path):
    copy, (bs16, bs32) = _copy(tiny, tmp_path)
    shutil.rmtree(copy/'runs'/bs32); shutil.copytree(copy/'runs'/bs16, copy/'runs'/bs32)     # intact files, wrong name
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0 and f'set aside runs/{bs32}' in p.stderr, p.stderr
    pd.testing.assert_frame_equal(numbers(copy), numbers(tiny[0]))


@pytest.mark.slow
def test_a_file_among_the_runs_and_a_second_stranger_of_the_same_name(tiny, tmp_path):
    copy, (bs16, bs32) = _copy(tiny, tmp_path)
    (copy/'runs'/'notes.txt').write_text('mine')
    (copy/'set-aside').mkdir(); (copy/'set-aside'/'notes.txt').write_text('set aside before')
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0 and 'set aside runs/notes.txt as set-aside/notes.txt-2: not a folder' in p.stderr, p.stderr
    assert (copy/'set-aside'/'notes.txt').read_text() == 'set aside before' and (copy/'set-aside'/'notes.txt-2').read_text() == 'mine'


@pytest.mark.slow
def test_a_garbage_sweep_json_is_named_not_blamed_on_a_version(tiny, tmp_path):
    copy, _ = _copy(tiny, tmp_path)
    (copy/'sweep.json').write_bytes(b'\x00\xffnot json')
    one_line_error(cli('run', *TINY, '--out', copy), 'sweep.json is damaged (not JSON)', 'another --out')
    assert len(list((copy/'runs').iterdir())) == 2


@pytest.mark.slow
def test_results_csv_that_is_a_folder_is_named(tiny, tmp_path):
    copy, (bs16, bs32) = _copy(tiny, tmp_path)
    (copy/'results.csv').unlink(); (copy/'results.csv').mkdir(); shutil.rmtree(copy/'runs'/bs32)
    one_line_error(cli('run', *TINY, '--out', copy), 'results.csv is in the way', 'move it away')
    assert (copy/'runs'/bs32/'manifest.json').exists()                       # the run it had just finished is kept


# 2. Bad data never reaches the kernels

def _data(tmp_path, part, edit):
    "A copy of the MNIST files with one of them rewritten by `edit(raw bytes) -> bytes`."
    d = tmp_path/'data'/'mnist'; shutil.copytree(DATA/'mnist', d)
    f = d/f'{part}-ubyte.gz'
    f.write_bytes(gzip.compress(edit(bytearray(gzip.decompress(f.read_bytes())))))
    return tmp_path/'data'


def _header(dims):
    def edit(raw):
        raw[3] = len(dims); body = raw[4 + 4 * (3 if len(raw) > 100000 else 1):]
        return bytes(raw[:4]) + b''.join(n.to_bytes(4, 'big') for n in dims) + bytes(body)
    return edit


@pytest.mark.parametrize('part, dims, words', [
    ('train-images-idx3', (30000, 56, 28), 'are 30000x56x28, not 60000x28x28'),
    pytest.param('train-images-idx3', (60000, 784), 'are 60000x784, not 60000x28x28', marks=pytest.mark.slow),
    ('train-labels-idx1', (30000, 2), 'are 30000x2, not 60000'),
    pytest.param('t10k-images-idx3', (10000, 28, 28, 1), 'are 10000x28x28x1, not 10000x28x28', marks=pytest.mark.slow),
])
def test_a_header_that_lies_about_the_dimensions_stops_before_training(tmp_path, part, dims, words):
    data = _data(tmp_path, part, _header(dims))
    out = tmp_path/'out'
    one_line_error(cli('run', *TINY, '--data-dir', data, '--out', out), words, 'intact copy')
    assert not (out/'runs').exists()


@pytest.mark.parametrize('where, words', [
    (lambda t: DATA/'mnist', ["is a data set's own folder", str(DATA)]),
    pytest.param(lambda t: t/'nowhere', ['does not exist', 'unset it'], marks=pytest.mark.slow),
    pytest.param(lambda t: t, ['holds no mnist/ folder', 'unset HTSR_DATA_DIR'], marks=pytest.mark.slow),
])
def test_htsr_data_dir_is_never_ignored_silently(tmp_path, where, words):
    p = subprocess.run([shutil.which('htsr-overtrain'), 'run', *TINY, '--out', str(tmp_path/'out')], capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, HTSR_DATA_DIR=str(where(tmp_path))))
    one_line_error(p, 'HTSR_DATA_DIR', *words)
    assert 'Downloading' not in p.stdout + p.stderr


# 4. Messages that name the right thing

@pytest.mark.parametrize('args, words', [
    (['--seed', '-1'], ['seed -1 is outside 0 .. 2**32-1', 'use 0 or more']),
    pytest.param(['--init-seed', '-7'], ['init_seed -7 is outside'], marks=pytest.mark.slow),
    pytest.param(['--seed', '4294967296'], ['seed 4294967296 is outside 0 .. 2**32-1'], marks=pytest.mark.slow),
    (['--target-loss', '-inf'], ['target_loss -inf is not positive']),
    pytest.param(['--target-loss', 'nan'], ['target_loss nan is not positive'], marks=pytest.mark.slow),
    (['--min-delta', 'nan'], ['min_delta nan is not a number >= 0']),
    pytest.param(['--min-delta', '-1e-3'], ['min_delta -0.001 is not a number >= 0'], marks=pytest.mark.slow),
    pytest.param(['--learning-rate', 'fast'], ['argument --learning-rate', "'fast' is not a number"], marks=pytest.mark.slow),
    (['--out', ''], ['argument --out', 'is empty']),
    pytest.param(['--data-dir', ' '], ['argument --data-dir', 'is empty'], marks=pytest.mark.slow),
    pytest.param(['--scheduler', 'tcp://127.0.0.1:8786', '--cluster-timeout', '0'], ['argument --cluster-timeout', '0 is not positive'], marks=pytest.mark.slow),
])
def test_each_bad_option_is_named(tmp_path, args, words):
    a = ['run', '--batch-sizes', '32', '--limit-train', '1000', '--max-epochs', '1', '--quiet']
    a += [] if '--seed' in args else ['--seed', '42']
    p = cli(*a, *args, *([] if '--out' in args else ['--out', tmp_path/'out']))
    one_line_error(p, *words)
    assert not (tmp_path/'out'/'runs').exists()


@pytest.mark.slow
def test_report_on_a_folder_with_only_sweep_json(tiny, tmp_path):
    copy = tmp_path/'c'; copy.mkdir(); shutil.copy(tiny[0]/'sweep.json', copy/'sweep.json')
    one_line_error(cli('report', copy), 'holds no intact finished runs')


@pytest.mark.slow
def test_plot_dir_that_is_a_file(tiny, tmp_path):
    out, _ = tiny
    model = tmp_path/'m.keras'
    script = ("import sys; from htsr_overtrain.store import load_weights; from htsr_overtrain.analysis import model_from_weights;"
              "model_from_weights(load_weights(sys.argv[1])).save(sys.argv[2])")
    subprocess.run([sys.executable, '-c', script, str(next((out/'runs').iterdir())), str(model)], check=True, capture_output=True)
    (tmp_path/'plots').write_text('a file')
    one_line_error(cli('diagnose', model, '--plot-dir', tmp_path/'plots'), 'plots is a file where a folder is needed')


# 5. Bugs are not dressed as user errors; sweeps of one point, one seed, one layer work

def test_an_internal_error_says_it_is_a_bug_and_keeps_its_traceback(tmp_path):
    script = ("import sys; from htsr_overtrain import cli, reproduction\n"
              "def boom(out): raise KeyError('a bug')\n"
              "reproduction.write_report = boom\n"
              "cli.main(sys.argv[1:])")
    p = subprocess.run([sys.executable, '-c', script, 'run', *TINY[:2], '--batch-sizes', '32', '--limit-train', '1000',
                        '--max-epochs', '1', '--quiet', '--out', str(tmp_path/'out')], capture_output=True, text=True, timeout=300)
    line = p.stderr.strip().splitlines()[-1]
    assert p.returncode == 1 and line.startswith('htsr-overtrain: internal error, a bug in htsr_overtrain (KeyError'), p.stderr
    tb = Path(line.split('the traceback is in ')[1].split(':')[0])
    assert 'KeyError' in tb.read_text() and 'boom' in tb.read_text()
    assert len(list((tmp_path/'out'/'runs').glob('*/manifest.json'))) == 1              # the finished run is kept


@pytest.mark.parametrize('args, untestable', [
    (['--batch-sizes', '32'], 2),                                    # one point, five seeds
    pytest.param(['--seed', '42', '--batch-sizes', '32'], 2, marks=pytest.mark.slow),                    # one point, one seed
    pytest.param(['--seed', '42', '--batch-sizes', '16', '32', '--trainable', '3'], None, marks=pytest.mark.slow),   # one seed, the last layer
])
def test_sweeps_of_one_point_one_seed_or_one_layer_work(tmp_path, args, untestable):
    out = tmp_path/'out'
    p = cli('run', *args, '--limit-train', '1000', '--max-epochs', '1', '--out', out, '--quiet')
    assert p.returncode == 0, p.stderr
    report = (out/'report.md').read_text()
    assert '| claim |' in report and (untestable is None or report.count('not testable here') == untestable), report
    if '--seed' in args: assert 'not resolved at 1 seed' in report or 'not testable here' in report


# 3. A Dask cluster that fails is one line, never a hang

def _free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close(); return port


def _start(*cmd):
    return subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(p):
    try: os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError: pass
    p.wait(timeout=30)


def _scheduler():
    port = _free_port()
    s = _start(shutil.which('dask'), 'scheduler', '--port', port, '--no-dashboard', '--host', '127.0.0.1')
    for _ in range(60):
        with socket.socket() as c:
            if c.connect_ex(('127.0.0.1', port)) == 0: return s, f'tcp://127.0.0.1:{port}'
        time.sleep(0.5)
    raise AssertionError('the scheduler did not start')


def _worker(address):
    return _start(shutil.which('dask'), 'worker', address, '--nworkers', '1', '--nthreads', '1', '--no-dashboard')


def _sweep(address, out):
    return start('run', '--seed', '42', '--batch-sizes', '1', '2', '4', '8', '--limit-train', '6000', '--max-epochs', '3',
                 '--scheduler', address, '--cluster-timeout', '10', '--out', out, '--quiet')


def _after_first_run(out, p, timeout=300):
    t = time.time()
    while not list(Path(out).glob('runs/*/manifest.json')):
        assert p.poll() is None and time.time() - t < timeout, p.communicate()
        time.sleep(0.5)


@pytest.mark.slow
def test_a_port_where_something_else_listens(tmp_path):
    port = _free_port()
    http = _start(sys.executable, '-m', 'http.server', port, '--bind', '127.0.0.1')
    try:
        time.sleep(2); t = time.time()
        p = cli('run', *TINY, '--scheduler', f'tcp://127.0.0.1:{port}', '--cluster-timeout', '3', '--out', tmp_path/'o', timeout=120)
        one_line_error(p, f'no Dask scheduler answered at tcp://127.0.0.1:{port} within 13 s', 'run without --scheduler')
        assert time.time() - t < 60
    finally: _stop(http)


@pytest.mark.slow
def test_nothing_listening_at_the_address(tmp_path):
    port = _free_port()
    one_line_error(cli('run', *TINY, '--scheduler', f'tcp://127.0.0.1:{port}', '--cluster-timeout', '3', '--out', tmp_path/'o',
                       timeout=120), f'cannot reach the Dask scheduler at tcp://127.0.0.1:{port}', 'dask scheduler')


@pytest.mark.slow
def test_a_scheduler_without_workers(tmp_path):
    s, address = _scheduler()
    try:
        t = time.time()
        p = cli('run', *TINY, '--scheduler', address, '--cluster-timeout', '5', '--out', tmp_path/'o', timeout=120)
        one_line_error(p, f'no Dask worker at {address} for 5 s', f'dask worker {address}', 'run the same command')
        assert time.time() - t < 60
    finally: _stop(s)


def _kill_after_first_run(out, what):
    "Scheduler, one worker, a sweep; kill `what` ('worker' or 'scheduler') once a run is saved. Return the address, the sweep's end, the live processes."
    s, address = _scheduler(); w = _worker(address)
    p = _sweep(address, out); _after_first_run(out, p)
    _stop(w if what == 'worker' else s)
    _, err = p.communicate(timeout=120)
    return address, subprocess.CompletedProcess([], p.returncode, '', err), [s, w]


@pytest.mark.slow
def test_the_only_worker_killed_then_the_sweep_resumes(tmp_path):
    out = tmp_path/'o'
    address, p, procs = _kill_after_first_run(out, 'worker')
    try:
        one_line_error(p, f'no Dask worker at {address}', f'saved in {out}', 'run the same command')
        kept = {q: q.read_bytes() for q in out.glob('runs/*/result.json')}
        assert kept
        procs.append(_worker(address))
        q = _sweep(address, out); _, err = q.communicate(timeout=600)
        assert q.returncode == 0, err
        assert len(numbers(out)) == 4 and all(f.read_bytes() == b for f, b in kept.items())
    finally:
        for x in procs: _stop(x)


@pytest.mark.slow
def test_the_scheduler_killed_mid_sweep(tmp_path):
    out = tmp_path/'o'
    address, p, procs = _kill_after_first_run(out, 'scheduler')
    try:
        one_line_error(p, f'lost the Dask scheduler at {address}', f'saved in {out}')
        assert list(out.glob('runs/*/manifest.json'))
    finally:
        for x in procs: _stop(x)


def _diagnose_file(tmp_path, model):
    make = f"import keras; keras.utils.set_random_seed(0); {model}.save({str(tmp_path/'m.keras')!r})"
    subprocess.run([sys.executable, '-c', make], check=True, capture_output=True, timeout=300)
    return cli('diagnose', tmp_path/'m.keras')


@pytest.mark.slow
def test_diagnose_names_the_layers_it_leaves_out(tmp_path):
    p = _diagnose_file(tmp_path, "keras.Sequential([keras.Input((20, 8)), keras.layers.GRU(64), keras.layers.Dense(300), "
                                 "keras.layers.Dense(10)])")
    assert p.returncode == 0 and 'not analysed' in p.stdout, p.stdout + p.stderr
    for w in ['a GRU layer: weightwatcher 0.7.7 fits the kernels of Dense and Conv layers only', 'only 10 eigenvalues']:
        assert w in p.stdout, p.stdout


@pytest.mark.slow
def test_diagnose_looks_inside_nested_models(tmp_path):
    "A Sequential inside a Sequential: its Dense(784x300) and Dense(300x100) are analysed, named outer/inner, with a progress line."
    p = _diagnose_file(tmp_path, "keras.Sequential([keras.Input((784,)), keras.Sequential([keras.layers.Dense(300), "
                                 "keras.layers.Dense(100)], name='body'), keras.layers.Dense(10)])")
    assert p.returncode == 0 and 'not analysed' not in p.stdout, p.stdout + p.stderr
    rows = [l.split() for l in p.stdout.splitlines()[1:]]
    assert [r[1] for r in rows][:2] == ['body/dense', 'body/dense_1'] and [r[4] for r in rows] == ['300', '100', '10'], p.stdout
    assert 'layers: 100%' in p.stderr and '3/3' in p.stderr, p.stderr


def _safetensors_model(path):
    "A small model saved as PyTorch lays its weights out, in safetensors: Linear 784->300 (with bias), 300->10."
    import numpy as np
    from safetensors.numpy import save_file
    rng = np.random.default_rng(0)
    save_file({'fc1.weight': rng.normal(size=(300, 784)).astype(np.float32), 'fc1.bias': np.zeros(300, np.float32),
               'fc2.weight': rng.normal(size=(10, 300)).astype(np.float32)}, str(path))


def test_diagnose_reads_safetensors_with_csv_json_and_a_layer_pattern(tmp_path):
    _safetensors_model(tmp_path/'m.safetensors')
    p = cli('diagnose', tmp_path/'m.safetensors', '--csv', '--quiet')
    assert p.returncode == 0, p.stderr
    import io
    df = pd.read_csv(io.StringIO(p.stdout))
    assert df['name'].tolist() == ['fc1.bias', 'fc1.weight', 'fc2.weight'] and df['num_evals'].tolist()[1] == 300
    assert df['verdict'].tolist() == ['not analysed', 'under-trained', 'too small'], df
    j = cli('diagnose', tmp_path/'m.safetensors', '--json', '--quiet', '--layers', r'^fc1\.weight$')
    assert j.returncode == 0, j.stderr
    assert [r['name'] for r in json.loads(j.stdout)] == ['fc1.weight'] and json.loads(j.stdout)[0]['alpha_se'] > 0
    renamed = tmp_path/'weights.bin'; shutil.copy(tmp_path/'m.safetensors', renamed)   # found from the content, not the name
    assert cli('diagnose', renamed, '--csv', '--quiet').stdout == p.stdout


def test_diagnose_never_runs_a_pickle_and_refuses_lying_files(tmp_path):
    import pickle
    marker = tmp_path/'pwned'
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    (tmp_path/'evil.pt').write_bytes(pickle.dumps({'fc.weight': Evil()}))
    p = cli('diagnose', tmp_path/'evil.pt')
    one_line_error(p, 'evil.pt')
    assert not marker.exists()                                       # the pickle's code never ran
    _safetensors_model(tmp_path/'m.safetensors')
    raw = (tmp_path/'m.safetensors').read_bytes()
    (tmp_path/'cut.safetensors').write_bytes(raw[:len(raw) // 2])   # a header promising more bytes than the file has
    one_line_error(cli('diagnose', tmp_path/'cut.safetensors'), 'cut.safetensors', 'is not a valid safetensors file')
    (tmp_path/'notes.txt').write_text('hello')
    one_line_error(cli('diagnose', tmp_path/'notes.txt'), 'notes.txt', 'is not a model file this command reads')
    (tmp_path/'empty').mkdir()
    one_line_error(cli('diagnose', tmp_path/'empty'), 'holds no *.safetensors')
    one_line_error(cli('diagnose', tmp_path/'m.safetensors', '--layers', 'attn'), 'no layer of model', "'attn'")
