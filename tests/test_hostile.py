"The results folder under attack: full and read-only disks, dying workers, kill storms, racing commands, odd models."
import json, random, re, shutil, subprocess, sys, time
import pandas as pd
import pytest
from conftest import TINY, cli, start, one_line_error, numbers, pool_workers

SMALL = ['--seed', '42', '--limit-train', '3000', '--max-epochs', '2', '--quiet']


def mount_tmpfs(where, size):
    "A small RAM disk at `where` (skips the test where mounting is not allowed)."
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(where)], capture_output=True, text=True)
    if r.returncode: pytest.skip(f'cannot mount a tmpfs here ({r.stderr.strip()}): needs root')
    return where


@pytest.fixture
def disk(tmp_path):
    mnt = tmp_path/'disk'
    yield lambda size: mount_tmpfs(mnt, size)
    subprocess.run(['umount', '-l', str(mnt)], capture_output=True)


@pytest.mark.slow
def test_full_disk_keeps_finished_runs_and_resumes(disk):
    mnt = disk('1500k')                                    # room for one run (weights.npz is about 1 MB), not two
    out = mnt/'out'
    p = cli('run', '--seed', '42', '--batch-sizes', '16', '32', *SMALL, '--workers', '1', '--out', out)
    one_line_error(p, 'cannot save run', 'No space left on device', 'run the same command')
    assert len(numbers(out)) == 1 and not list(out.glob('runs/*/.*.tmp'))
    kept = {q: q.stat().st_mtime_ns for q in out.glob('runs/*/weights.npz') if (q.parent/'manifest.json').exists()}
    assert len(kept) == 1
    subprocess.run(['mount', '-o', 'remount,size=20m', str(mnt)], check=True)   # the user makes room
    q = cli('run', '--seed', '42', '--batch-sizes', '16', '32', *SMALL, '--workers', '1', '--out', out)
    assert q.returncode == 0, q.stderr
    assert len(numbers(out)) == 2 and all(k.stat().st_mtime_ns == v for k, v in kept.items())


@pytest.mark.slow
def test_full_disk_while_drawing_the_report(disk, tmp_path):
    p = cli('run', '--seed', '42', '--batch-sizes', '32', *SMALL, '--out', tmp_path/'src')
    assert p.returncode == 0, p.stderr
    mnt = disk('1100k'); out = mnt/'out'
    shutil.copytree(tmp_path/'src', out, ignore=shutil.ignore_patterns('figures', 'report.md'))
    one_line_error(cli('report', out), 'cannot write', 'No space left on device')
    assert len(numbers(out)) == 1


@pytest.mark.slow
def test_read_only_results_folder(disk, tmp_path):
    mnt = disk('20m'); out = mnt/'out'
    p = cli('run', '--seed', '42', '--batch-sizes', '32', *SMALL, '--out', out)
    assert p.returncode == 0, p.stderr
    before = numbers(out)
    subprocess.run(['mount', '-o', 'remount,ro', str(mnt)], check=True)
    one_line_error(cli('run', '--seed', '42', '--batch-sizes', '16', '32', *SMALL, '--out', out), 'cannot be written', 'Read-only')
    one_line_error(cli('report', out), 'cannot write', 'Read-only')
    pd.testing.assert_frame_equal(numbers(out), before)


def _kill_a_busy_worker(p, avoid=(), timeout=120):
    "SIGKILL one worker of `p` that is computing, as the out-of-memory killer would; return the pids of its pool."
    deadline = time.time() + timeout
    while time.time() < deadline:
        pool = pool_workers(p)
        for c in pool:
            try:
                if c.pid not in avoid and c.cpu_percent(interval=0.1) > 50: c.kill(); return {w.pid for w in pool}
            except Exception: pass
    raise AssertionError('no busy worker to kill')


BIG = ['--seed', '42', '--batch-sizes', '8', '16', '--limit-train', '20000', '--max-epochs', '30', '--workers', '2', '--quiet']


@pytest.mark.slow
def test_killed_worker_costs_nothing(tmp_path):
    "A worker killed once: the runs it took down are retried, and the sweep ends as if nothing happened."
    out = tmp_path/'kw'
    p = start('run', *BIG, '--out', out)
    _kill_a_busy_worker(p)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0 and 'Traceback' not in err, err
    assert 'a worker process died' in err and 'retrying' in err, err
    ref = cli('run', *BIG[:-3], '--workers', '1', '--quiet', '--out', tmp_path/'serial')
    assert ref.returncode == 0, ref.stderr
    pd.testing.assert_frame_equal(numbers(out), numbers(tmp_path/'serial'))


@pytest.mark.slow
def test_a_run_that_kills_its_worker_twice_is_named_and_the_rest_finish(tmp_path):
    out = tmp_path/'culprit'
    p = start('run', *BIG, '--out', out)
    first = _kill_a_busy_worker(p)                        # both runs in flight are lost, and retried one at a time
    _kill_a_busy_worker(p, avoid=first)                   # the first retried run, alone on a new pool, dies again
    _, err = p.communicate(timeout=600)
    one_line_error(subprocess.CompletedProcess([], p.returncode, '', '\n'.join(l for l in err.splitlines() if 'retrying' not in l)),
                   'killed its worker process again', 'run the same command')
    culprit = re.search(r'run (bs\S+) killed its worker', err).group(1)
    left = numbers(out)
    assert len(left) == 1 and culprit not in set(left['run_id']) and culprit.startswith('bs0008')
    q = cli('run', *BIG, '--out', out)
    assert q.returncode == 0, q.stderr
    assert len(numbers(out)) == 2


@pytest.mark.slow
def test_kill_storm_then_resume_gives_the_uninterrupted_results(tmp_path):
    "SIGKILL the command at random moments (seeded), five times, then let it finish."
    args = ['run', '--seed', '42', '--batch-sizes', '8', '16', '32', '--limit-train', '6000', '--max-epochs', '8', '--workers', '1', '--quiet']
    rng = random.Random(0)
    out = tmp_path/'storm'
    for _ in range(5):
        p = start(*args, '--out', out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2, 9)); p.kill(); p.wait()
    q = cli(*args, '--out', out)
    assert q.returncode == 0, q.stderr
    ref = cli(*args, '--out', tmp_path/'calm')
    assert ref.returncode == 0, ref.stderr
    pd.testing.assert_frame_equal(numbers(out), numbers(tmp_path/'calm'))
    for rid in numbers(out)['run_id']:
        assert (out/'runs'/rid/'weights.npz').read_bytes() == (tmp_path/'calm'/'runs'/rid/'weights.npz').read_bytes()


@pytest.mark.parametrize('attempt', [1, pytest.param(2, marks=pytest.mark.slow)])
def test_two_configurations_started_at_once_never_mix(tmp_path, attempt):
    out = tmp_path/'race'
    procs = [start('run', '--batch-sizes', '32', *SMALL, '--seed', s, '--out', out) for s in (1, 2)]
    res = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    assert sorted(rc == 0 for rc, _ in res) == [False, True], res
    err = next(e for rc, e in res if rc)
    assert ('being written by another' in err or 'different configuration' in err) and 'Traceback' not in err, err
    seeds = {json.loads(f.read_text())['seed'] for f in out.glob('runs/*/config.json')}
    assert len(seeds) == 1 and seeds == {json.loads((out/'sweep.json').read_text())['base']['seed']}


@pytest.mark.parametrize('damage, redo_message', [
    pytest.param(lambda d: (d/'analysis.csv').write_text('layer_id,alpha\n1,not-a-number\n'), 'analysis.csv is damaged', marks=pytest.mark.slow),
    (lambda d: (d/'history.csv').unlink(), 'history.csv is missing'),
    pytest.param(lambda d: (d/'manifest.json').write_text('{"config.json": 1}'), 'manifest.json is damaged', marks=pytest.mark.slow),
    pytest.param(lambda d: (d/'manifest.json').unlink(), None, marks=pytest.mark.slow),   # killed just before its last write: unfinished, redone
    pytest.param(lambda d: shutil.rmtree(d.parent), None, marks=pytest.mark.slow),         # runs/ gone under results.csv
    pytest.param(lambda d: (d/'config.json').write_text('{}'), 'config.json is damaged', marks=pytest.mark.slow),
], ids=['garbage-analysis', 'missing-history', 'garbage-manifest', 'missing-manifest', 'runs-folder-gone', 'edited-config'])
def test_more_damage_is_redone(tiny, tmp_path, damage, redo_message):
    ref, _ = tiny
    copy = tmp_path/'copy'; shutil.copytree(ref, copy)
    rid = numbers(ref)['run_id'][0]
    damage(copy/'runs'/rid)
    rep = cli('report', copy)
    if (copy/'runs').exists():
        assert rep.returncode == 0, rep.stderr             # the report goes on with the intact run, saying what it skipped
        if redo_message: assert redo_message in (copy/'report.md').read_text()
    else: one_line_error(rep, 'no intact finished runs', 'htsr-overtrain run')
    p = cli('run', *TINY, '--out', copy, '--quiet')
    assert p.returncode == 0 and 'Traceback' not in p.stderr, p.stderr
    if redo_message: assert f'redoing run {rid}: {redo_message}' in p.stderr, p.stderr
    pd.testing.assert_frame_equal(numbers(copy), numbers(ref))


MODELS = {
    'conv2d-64': "keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(64, 3), keras.layers.Conv2D(96, 3), "
                 "keras.layers.Flatten(), keras.layers.Dense(10)])",
    'conv1d-embedding': "keras.Sequential([keras.Input((50,), dtype='int32'), keras.layers.Embedding(1000, 128), "
                        "keras.layers.Conv1D(128, 5), keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(64), keras.layers.Dense(2)])",
    'functional-residual': "(lambda i: keras.Model(i, keras.layers.Dense(10)(keras.layers.Add()([keras.layers.Dense(256)(i), "
                           "keras.layers.Dense(256)(keras.layers.Dense(256)(i))]))))(keras.Input((784,)))",
}


@pytest.mark.parametrize('name', [n if n == 'functional-residual' else pytest.param(n, marks=pytest.mark.slow) for n in MODELS])
def test_diagnose_the_models_users_have(tmp_path, name):
    make = f"import keras; keras.utils.set_random_seed(0); {MODELS[name]}.save({str(tmp_path/'m.keras')!r})"
    subprocess.run([sys.executable, '-c', make], check=True, capture_output=True, timeout=300)
    p = cli('diagnose', tmp_path/'m.keras')
    assert p.returncode == 0 and 'Traceback' not in p.stderr, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) >= 3 and any(w in p.stdout for w in ('over-trained', 'well-trained', 'under-trained', 'too small')), p.stdout
