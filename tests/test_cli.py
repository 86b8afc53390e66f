"The `htsr-overtrain` command, run as a user runs it: a real process, end to end."
import json, os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest

from conftest import DATA, TINY, cli, start, one_line_error, numbers, pool_workers, running


def test_tiny_sweep_writes_results_weights_figures_report(tiny):
    out, p = tiny
    df = pd.read_csv(out/'results.csv')
    need = ('dataset batch_size seed trainable epochs best_epoch train_accuracy val_accuracy test_accuracy test_loss '
            'alpha alpha_weighted D xmin xmax num_pl_spikes verdict train_seconds').split()
    assert set(need) <= set(df.columns)
    assert df['batch_size'].tolist() == [16, 32] and (df['epochs'] == 2).all()
    assert (df['dataset'] == 'mnist').all() and (df['trainable'].astype(str) == '1').all()
    assert df['test_accuracy'].between(0.5, 1).all() and df['alpha'].between(1, 20).all()
    for rid in df['run_id']:
        assert (out/'runs'/rid/'weights.npz').stat().st_size > 100_000
    for fig in ('alpha_vs_test_accuracy', 'test_accuracy', 'alpha_vs_train_accuracy', 'histories', 'esd_layer1'):
        assert (out/'figures'/f'{fig}.png').stat().st_size > 5_000 and (out/'figures'/f'{fig}.svg').exists()
    assert 'alpha' in (out/'report.md').read_text()
    assert p.stdout == ''        # --quiet


def test_rerun_resumes_without_training(tiny):
    out, _ = tiny
    before = {q: q.stat().st_mtime_ns for q in out.glob('runs/*/weights.npz')}
    p = cli('run', *TINY, '--out', out)
    assert p.returncode == 0, p.stderr
    assert {q: q.stat().st_mtime_ns for q in out.glob('runs/*/weights.npz')} == before
    assert '2 runs' in p.stdout
    assert 're-analysing' not in p.stderr, p.stderr           # no empty progress bar for work that is not there


def test_report_regenerates(tiny, tmp_path):
    out, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(out, copy)
    (copy/'report.md').unlink()
    p = cli('report', copy)
    assert p.returncode == 0 and (copy/'report.md').exists(), p.stderr


@pytest.mark.parametrize('args, words', [
    (['--batch-sizes', '0'], ['0', 'use 1 or more']),
    (['--batch-sizes', '-4'], ['-4']),
    (['--dataset', 'cifar10'], ["unknown dataset 'cifar10'", 'mnist']),
    (['--trainable', '4'], ["layer id '4'", 'use one or more of 1, 2, 3']),
    (['--trainable', '0'], ["layer id '0'"]),
    (['--learning-rate', '0'], ['learning_rate 0']),
    (['--learning-rate', 'nan'], ['learning_rate nan']),
    (['--limit-train', '0'], ['0', 'use 1 or more']),
    (['--engine', 'turbo'], ["engine 'turbo'"]),
    (['--label-noise', '1'], ['label_noise 1.0 is outside [0, 1)', '0 for clean labels']),
    (['--label-noise', '-0.2'], ['label_noise -0.2 is outside [0, 1)']),
    (['--label-noise', '0.2', '--engine', 'keras'], ["engine 'keras' does not take label_noise", 'use the fast engine']),
    (['--batch-sizes', '5000', '--limit-train', '1000'], ['batch_size 5000 is larger than the 900 training images']),
])
def test_bad_arguments_give_one_line(tmp_path, args, words):
    p = cli('run', *args, '--max-epochs', '1', '--out', tmp_path/'out', '--quiet')
    one_line_error(p, *words)


def test_output_folder_that_is_a_file(tmp_path):
    f = tmp_path/'results'; f.write_text('not a folder')
    one_line_error(cli('run', *TINY, '--out', f), 'is a file')
    assert f.read_text() == 'not a folder'


def test_output_folder_that_cannot_be_written(tmp_path):
    # root ignores permission bits, so write below /proc, which nobody can create folders in
    one_line_error(cli('run', *TINY, '--out', '/proc/htsr-results'), 'cannot be written')


def test_different_configuration_is_refused_and_results_untouched(tiny):
    out, _ = tiny
    before = (out/'results.csv').read_bytes()
    one_line_error(cli('run', *TINY, '--seed', '7', '--out', out), 'different configuration', 'another --out')
    assert (out/'results.csv').read_bytes() == before


def test_corrupted_data_is_refused(tmp_path):
    d = tmp_path/'mnist'; shutil.copytree(DATA/'mnist', d)
    raw = (d/'train-labels-idx1-ubyte.gz').read_bytes()
    (d/'train-labels-idx1-ubyte.gz').write_bytes(raw[:len(raw)//2])
    one_line_error(cli('run', *TINY, '--data-dir', tmp_path, '--out', tmp_path/'out'), 'train-labels-idx1-ubyte.gz', 'corrupted')


def test_presets_prints_every_preset():
    p = cli('presets')
    assert p.returncode == 0, p.stderr
    presets = json.loads(p.stdout)
    assert presets[2]['grid'] == {'seed+init_seed': [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], 'batch_size': [1, 2, 4, 8, 16, 32]}
    assert presets[2]['extras'] and not presets[2]['track'] and presets[4]['track']
    assert presets[1]['base']['dataset'] == 'fashion_mnist' and presets[1]['base']['trainable'] == [1, 2, 3]
    assert [q.get('name', q.get('alias')) for q in presets] == ['blog', 'blog-notebook', 'setol-batch-size', 'setol-learning-rate',
        'fixed-budget', 'loss-target', 'fixed-budget-lr', 'loss-target-lr', 'val-loss', 'small-6k', 'small-12k', 'label-noise', 'one-layer-lr', 'confirm-blog',
        'confirm-setol-batch-size', 'confirm-blog-notebook', 'confirm-setol-learning-rate', 'confirm-fixed-budget', 'confirm-label-noise',
        'confirm-one-layer-lr', 'blog-notebook-mnist']
    assert presets[-5]['grid']['learning_rate'] == [0.16, 0.32] and len(presets[-5]['grid']['seed+init_seed']) == 150
    assert presets[-3]['grid']['label_noise'] == [0.0, 0.4] and presets[-3]['grid']['seed+init_seed'][0] == [2001, 2001]
    assert presets[-1] == {'alias': 'blog-notebook-mnist', 'preset': 'setol-batch-size'}
    assert presets[6]['grid']['learning_rate'] == [0.01, 0.08, 0.16, 0.32] and presets[6]['base']['batch_size'] == 32
    assert presets[5]['base']['monitor'] == 'none' and presets[5]['base']['target_loss'] == 0.002


def test_unknown_preset(tmp_path):
    one_line_error(cli('run', '--preset', 'setol', '--out', tmp_path/'o'), "unknown preset 'setol'", 'blog')


@pytest.mark.slow
def test_preset_with_overrides_runs(tmp_path):
    out = tmp_path/'lr'
    p = cli('run', '--preset', 'setol-learning-rate', '--seed', '3', '--limit-train', '2000', '--max-epochs', '1',
            '--out', out, '--quiet', '--track')
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(out/'results.csv')
    assert df['learning_rate'].round(4).tolist() == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32]
    assert (df['batch_size'] == 32).all() and (df['seed'] == 3).all() and (df['trainable'] == '1,2,3').all()
    assert (out/'figures'/'alpha_trajectories.png').exists()
    assert 'learning_rate' in (out/'report.md').read_text()


def test_diagnose_a_saved_model(tiny, tmp_path):
    out, _ = tiny
    script = ("import sys; from htsr_overtrain.store import load_weights; from htsr_overtrain.analysis import model_from_weights;"
              "model_from_weights(load_weights(sys.argv[1])).save(sys.argv[2])")
    rid = pd.read_csv(out/'results.csv')['run_id'][0]
    subprocess.run([sys.executable, '-c', script, str(out/'runs'/rid), str(tmp_path/'m.keras')], check=True)
    p = cli('diagnose', tmp_path/'m.keras', '--plot-dir', tmp_path/'plots')
    assert p.returncode == 0, p.stderr
    assert 'too small' in p.stdout and 'only 10 eigenvalues' in p.stdout and (tmp_path/'plots'/'esd_layer1.png').exists()


@pytest.mark.parametrize('make, words', [
    (lambda d: d/'missing.keras', ['does not exist']),
    (lambda d: (d/'x.keras').write_text('not a model') and d/'x.keras', ['is not a model file this command reads']),
])
def test_diagnose_bad_files(tmp_path, make, words):
    one_line_error(cli('diagnose', make(tmp_path)), *words)


def test_folder_from_an_incompatible_version_is_refused(tmp_path):
    out = tmp_path/'old'; out.mkdir()
    (out/'sweep.json').write_text(json.dumps({'format': 0, 'base': {}}))
    (out/'results.csv').write_text('old,results\n1,2\n')
    one_line_error(cli('run', *TINY, '--out', out), 'incompatible version', 'another --out')
    assert (out/'results.csv').read_text() == 'old,results\n1,2\n'


def test_empty_data_folder_is_one_line(tmp_path):
    empty = tmp_path/'empty'; empty.mkdir()
    one_line_error(cli('run', *TINY, '--data-dir', empty, '--out', tmp_path/'o'), 'train-images-idx3-ubyte.gz', 'does not exist')


def test_diverged_runs_are_reported_not_fatal(tmp_path):
    out = tmp_path/'dv'
    p = cli('run', '--seed', '42', '--learning-rate', '1e38', '--batch-sizes', '16', '32', '--limit-train', '1000', '--max-epochs', '2',
            '--workers', '1', '--out', out)
    assert p.returncode == 0, p.stderr
    assert 'alpha none (not analysed (diverged))' in p.stdout
    assert '2 of 2 runs diverged' in (out/'report.md').read_text() and (out/'figures'/'histories.png').exists()


def test_mixed_diverged_and_finished_runs_report(tmp_path):
    code = ("from htsr_overtrain.sweep import run_sweep; from htsr_overtrain.training import RunConfig;"
            "from htsr_overtrain.reproduction import write_report; import sys;"
            "run_sweep(RunConfig(limit_train=1000, max_epochs=2), dict(learning_rate=[1e38, 0.01]), sys.argv[1], quiet=True);"
            "print(write_report(sys.argv[1]))")
    p = subprocess.run([sys.executable, '-c', code, str(tmp_path/'mix')], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    report = (tmp_path/'mix'/'report.md').read_text()
    assert '1 of 2 runs diverged' in report and '| 0.01 | 1 |' in report
    assert (tmp_path/'mix'/'figures'/'alpha_vs_test_accuracy.png').exists()


def test_folder_without_sweep_json_is_refused_untouched(tmp_path):
    mine = tmp_path/'mine'; (mine/'figures').mkdir(parents=True)
    files = {mine/'report.md': 'my report', mine/'results.csv': 'a,b\n1,2\n', mine/'figures'/'alpha.png': 'png'}
    for f, t in files.items(): f.write_text(t)
    one_line_error(cli('run', *TINY, '--out', mine), 'no sweep.json', 'new or empty folder')
    assert {f: f.read_text() for f in files} == files and sorted(p.name for p in mine.iterdir()) == ['figures', 'report.md', 'results.csv']


def test_folder_in_use_by_another_sweep_is_refused(tmp_path):
    from htsr_overtrain.store import lock_out
    out = tmp_path/'busy'
    held = lock_out(out)                         # as a sweep running in another process holds it
    try: one_line_error(cli('run', *TINY, '--out', out), 'being written by another', 'another --out')
    finally: held.close()
    assert not (out/'sweep.json').exists()


@pytest.mark.slow
def test_rejected_command_does_not_block_its_correction(tmp_path):
    out = tmp_path/'fix'
    one_line_error(cli('run', '--seed', '42', '--limit-train', '5', '--batch-sizes', '32', '--out', out), 'batch_size 32 is larger')
    assert not (out/'sweep.json').exists()
    p = cli('run', '--seed', '42', '--limit-train', '1000', '--batch-sizes', '32', '--max-epochs', '1', '--out', out, '--quiet')
    assert p.returncode == 0, p.stderr


def test_default_output_is_not_the_committed_archive(tmp_path):
    p = cli('run', '--seed', '42', '--batch-sizes', '32', '--limit-train', '1000', '--max-epochs', '1', '--quiet', cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path/'htsr-results'/'blog'/'results.csv').exists() and not (tmp_path/'results').exists()


def _truncate(f): f.write_bytes(f.read_bytes()[:len(f.read_bytes()) // 2])

@pytest.mark.parametrize('damage', [
    lambda d: (d/'result.json').write_text('null'),
    pytest.param(lambda d: (d/'result.json').write_text('{}'), marks=pytest.mark.slow),
    pytest.param(lambda d: _truncate(d/'result.json'), marks=pytest.mark.slow),
    pytest.param(lambda d: _truncate(d/'weights.npz'), marks=pytest.mark.slow),
    lambda d: (d/'weights.npz').write_bytes(b'garbage' * 100),
    lambda d: (d/'weights.npz').unlink(),
    pytest.param(lambda d: (d/'history.csv').write_bytes(b'\x00\xff' * 50), marks=pytest.mark.slow),
], ids=['null', 'empty-dict', 'truncated-json', 'truncated-npz', 'garbage-npz', 'missing-npz', 'garbage-history'])
def test_damaged_run_is_redone_not_trusted(tiny, tmp_path, damage):
    out, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(out, copy)
    rid = pd.read_csv(out/'results.csv')['run_id'][1]
    damage(copy/'runs'/rid)
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0, p.stderr
    assert f'redoing run {rid}' in p.stderr and 'Traceback' not in p.stderr
    pd.testing.assert_frame_equal(numbers(copy), numbers(out))


@pytest.mark.slow
def test_workers_exit_when_the_sweep_is_killed(tmp_path):
    import signal, time
    args = ['run', '--seed', '42', '--batch-sizes', '8', '16', '--limit-train', '3000', '--max-epochs', '30', '--workers', '2',
            '--out', tmp_path/'orphans', '--quiet']
    p = start(*args, text=False)
    deadline, kids = time.time() + 120, []
    while time.time() < deadline and len(kids) < 2:
        kids = pool_workers(p)
        time.sleep(0.2)
    assert len(kids) == 2, kids
    p.send_signal(signal.SIGKILL); p.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(running(c) for c in kids): time.sleep(0.2)
    alive = [c for c in kids if running(c)]
    for c in alive: c.kill()
    assert not alive, f'{len(alive)} workers still running 20 s after their sweep was killed'


@pytest.mark.slow
@pytest.mark.parametrize('when,how', [('starting', 'ctrl-c'), ('training', 'ctrl-c'), ('training', 'kill')])
def test_ctrl_c_with_workers_is_one_line_and_stops_them(tmp_path, when, how):
    import psutil, signal, time
    args = ['run', '--seed', '42', '--batch-sizes', '8', '16', '--limit-train', '3000', '--monitor', 'none', '--max-epochs', '100',
            '--workers', '2', '--out', tmp_path/'cc']         # a fixed budget: runs long enough to be caught (seconds each)
    p = start(*args, start_new_session=True,     # as from a terminal: a CI job started with `&` ignores SIGINT
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline, kids = time.time() + 120, []
    def ready():
        if when == 'starting': return len(kids) == 2           # the workers are still importing the package
        try: return any(c.cpu_percent(interval=0.2) > 50 for c in kids)
        except psutil.Error: return False                  # a worker ended while we looked: look again
    while time.time() < deadline and not ready():
        kids = pool_workers(p)
        time.sleep(0.05)
    assert kids and p.poll() is None, 'the sweep ended before its pool workers were seen'
    if how == 'ctrl-c': os.killpg(p.pid, signal.SIGINT)      # what Ctrl-C in a terminal sends: the whole group
    else: p.send_signal(signal.SIGTERM)                      # what `kill PID` sends: the command alone
    _, err = p.communicate(timeout=60)
    assert p.returncode != 0 and 'Traceback' not in err and 'leaked' not in err, err
    assert 'interrupted' in err and 'run the same command to resume' in err, err
    time.sleep(2)
    alive = [c for c in kids if running(c)]
    assert not alive, alive
    q = cli('run', *args[1:], '--quiet')
    assert q.returncode == 0, q.stderr


def test_tracked_sweep_with_a_diverging_run_finishes(tmp_path):
    out = tmp_path/'trdv'
    p = cli('run', '--preset', 'setol-learning-rate', '--seed', '1', '--limit-train', '1000', '--max-epochs', '2',
            '--track', '--workers', '1', '--out', out, '--quiet', '--learning-rate', '1e38')
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(out/'results.csv')
    assert len(df) == 1 and df['status'][0].startswith('diverged')


def test_report_names_the_damaged_runs_it_skips(tiny, tmp_path):
    out, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(out, copy)
    rid = pd.read_csv(out/'results.csv')['run_id'][0]
    (copy/'runs'/rid/'weights.npz').write_bytes(b'not weights')
    p = cli('report', copy)
    assert p.returncode == 0, p.stderr
    text = (copy/'report.md').read_text()
    assert 'Skipped 1 damaged runs' in text and rid in text and 'weights.npz is damaged (its checksum differs from manifest.json)' in text


@pytest.mark.slow
def test_report_on_a_folder_without_runs_is_one_line(tiny, tmp_path):
    out, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(out, copy)
    shutil.rmtree(copy/'runs')                                  # runs/ gone under a results.csv
    one_line_error(cli('report', copy), 'holds no intact finished runs', 'htsr-overtrain run')
    p = cli('run', *TINY, '--out', copy, '--quiet')             # and a run recomputes them
    assert p.returncode == 0, p.stderr
    pd.testing.assert_frame_equal(numbers(copy), numbers(out))


def test_report_redraws_the_same_bytes(tiny, tmp_path):
    out, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(out, copy)
    snap = lambda: {p.name: p.read_bytes() for p in sorted((copy/'figures').iterdir())} | {'report.md': (copy/'report.md').read_bytes()}
    assert cli('report', copy).returncode == 0
    first = snap()
    assert cli('report', copy).returncode == 0
    assert snap() == first                                     # a redraw changes no committed file


@pytest.mark.slow
def test_keras_engine_and_diagnose_print_no_tensorflow_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}      # as a user's shell has it
    run = lambda *a: subprocess.run([shutil.which('htsr-overtrain'), *map(str, a)], capture_output=True, text=True,
                                    env=env, timeout=600)
    out = tmp_path/'k'
    p = run('run', '--seed', '42', '--engine', 'keras', '--batch-sizes', '32', '--limit-train', '1000', '--max-epochs', '1', '--out', out, '--quiet')
    assert p.returncode == 0, p.stderr
    script = ("import sys; from htsr_overtrain.store import load_weights; from htsr_overtrain.analysis import model_from_weights;"
              "model_from_weights(load_weights(sys.argv[1])).save(sys.argv[2])")
    subprocess.run([sys.executable, '-c', script, str(next((out/'runs').iterdir())), str(tmp_path/'m.keras')], check=True,
                   capture_output=True)
    q = run('diagnose', tmp_path/'m.keras')
    assert q.returncode == 0 and 'too small' in q.stdout, q.stderr
    for noise in ('cuInit', 'oneDNN', 'cuda', 'E0000', 'I0000', 'W0000'): assert noise not in p.stderr + q.stderr, (p.stderr, q.stderr)


def _lean_copy(tiny, tmp_path):
    out, _ = tiny
    copy = tmp_path/'lean'; shutil.copytree(out, copy)
    p = cli('lean', copy)
    assert p.returncode == 0 and 'weights dropped from 2 runs' in p.stdout, p.stderr
    assert not list(copy.glob('runs/*/weights.npz')) and len(list(copy.glob('runs/*/eigenvalues.json'))) == 2
    return copy


@pytest.mark.slow
def test_lean_folder_verifies_bit_for_bit(tiny, tmp_path):
    copy = _lean_copy(tiny, tmp_path)
    p = cli('verify', copy, '--all', '--quiet')
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(': the same') == 2 and '2 of 2 runs verified the same' in p.stdout
    assert pd.read_csv(copy/'results.csv').equals(pd.read_csv(tiny[0]/'results.csv'))   # lean keeps every number
    p = cli('run', *TINY, '--out', copy)                       # a lean folder resumes: nothing to train
    assert p.returncode == 0 and '2 runs' in p.stdout and not list(copy.glob('runs/*/weights.npz')), p.stderr


@pytest.mark.slow
def test_no_weights_run_is_the_lean_folder(tiny, tmp_path):
    "`run --no-weights` saves hashes and eigenvalues, no weights: the same numbers as a run that kept them."
    p = cli('run', *TINY, '--no-weights', '--quiet', '--out', tmp_path/'nw')
    assert p.returncode == 0, p.stderr
    assert not list((tmp_path/'nw').glob('runs/*/weights.npz')) and len(list((tmp_path/'nw').glob('runs/*/eigenvalues.json'))) == 2
    cols = ['run_id', 'test_accuracy', 'alpha', 'weights_sha256']
    assert pd.read_csv(tmp_path/'nw'/'results.csv')[cols].equals(pd.read_csv(tiny[0]/'results.csv')[cols])


def test_verify_names_a_consistent_lie(tiny, tmp_path):
    "A saved number edited and its manifest rewritten to match passes every checksum; retraining finds it."
    import hashlib
    copy = _lean_copy(tiny, tmp_path)
    d = sorted((copy/'runs').iterdir())[0]
    row = json.loads((d/'result.json').read_text()); row['test_accuracy'] += 0.01
    (d/'result.json').write_text(json.dumps(row, indent=1))
    sums = json.loads((d/'manifest.json').read_text())
    sums['result.json'] = hashlib.sha256((d/'result.json').read_bytes()).hexdigest()
    (d/'manifest.json').write_text(json.dumps(sums))
    p = cli('verify', copy, '--runs', '2', '--quiet')
    assert p.returncode == 1
    assert f'{d.name}: DIFFERS: test_accuracy' in p.stdout and '1 of 2 runs verified the same' in p.stdout, p.stdout


def test_verify_refuses_bad_folders_in_one_line(tiny, tmp_path):
    one_line_error(cli('verify', tmp_path), 'holds no finished runs')
    copy = tmp_path/'copy'; shutil.copytree(tiny[0], copy)
    d = sorted((copy/'runs').iterdir())[0]; (d/'history.csv').write_text('epoch\n1\n')
    one_line_error(cli('verify', copy), 'damaged or unfinished', d.name, 'history.csv is damaged')
    one_line_error(cli('verify', copy, '--runs', '0'), '0 is not positive')


def test_format_3_folder_is_refused_then_upgraded_by_lean(tiny, tmp_path):
    "A folder written by the previous format (weights, no eigenvalues or hashes) is upgraded from its own weights."
    import hashlib
    out, _ = tiny
    old = tmp_path/'old'; shutil.copytree(out, old)
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
    for d in (old/'runs').iterdir():                           # make it what htsr_overtrain 0.1 wrote
        (d/'eigenvalues.json').unlink()
        row = json.loads((d/'result.json').read_text()); row.pop('weights_sha256')
        (d/'result.json').write_text(json.dumps(row, indent=1))
        files = ['config.json', 'history.csv', 'analysis.csv', 'weights.npz', 'provenance.json', 'result.json']
        (d/'manifest.json').write_text(json.dumps({f: sha(d/f) for f in files}))
    meta = json.loads((old/'sweep.json').read_text()); (old/'sweep.json').write_text(json.dumps(meta | dict(format=3)))
    one_line_error(cli('run', *TINY, '--out', old), 'format 3', f'htsr-overtrain lean {old}')
    p = cli('lean', old)
    assert p.returncode == 0 and '2 runs upgraded from format 3' in p.stdout, p.stdout + p.stderr
    for d in (out/'runs').iterdir():                           # the same eigenvalues and hash as the new format wrote
        assert (old/'runs'/d.name/'eigenvalues.json').read_text() == (d/'eigenvalues.json').read_text()
        assert json.loads((old/'runs'/d.name/'result.json').read_text()) == json.loads((d/'result.json').read_text())
    assert cli('verify', old, '--all', '--quiet').returncode == 0


@pytest.mark.slow
def test_verify_the_committed_archive():
    "The committed runs keep no weights: the engine regenerates them bit for bit (the three cheapest blog runs)."
    root = Path(__file__).resolve().parents[1]
    p = cli('verify', root/'results'/'blog', '--runs', '3', '--quiet', timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count(': the same') == 3 and '3 of 3 runs verified the same (of 30' in p.stdout, p.stdout
    assert not list((root/'results'/'blog').glob('runs/*/weights.npz'))


@pytest.mark.slow
def test_workers_show_the_epochs_of_the_runs_in_flight(tmp_path):
    "With workers, the progress line names the runs in flight with their epochs and estimates the time left before any run ends."
    p = cli('run', '--seed', '42', '--batch-sizes', '16', '32', '--limit-train', '3000', '--monitor', 'none', '--max-epochs', '20',
            '--workers', '2', '--out', tmp_path/'w')
    assert p.returncode == 0, p.stderr
    assert 'bs=16 lr=0.01 seed=42 epoch ' in p.stderr and 'bs=32 lr=0.01 seed=42 epoch ' in p.stderr, p.stderr[-2000:]
    assert ' min left' in p.stderr, p.stderr[-2000:]
    assert not (tmp_path/'w'/'.progress').exists()                   # the workers' progress files are cleaned up


@pytest.mark.slow
def test_report_over_preset_folders_writes_the_metric_table(tiny, tmp_path):
    out, _ = tiny
    root = tmp_path/'results'; shutil.copytree(out, root/'blog')     # a folder of preset folders, here one
    p = cli('report', root)
    assert p.returncode == 0, p.stderr
    assert (root/'REPRODUCTION.md').exists() and (root/'figures'/'metrics.png').stat().st_size > 10_000
    assert '| alpha | 0 | - | - |' in (root/'METRICS.md').read_text()  # two runs are too few to count: no number, not a 0
