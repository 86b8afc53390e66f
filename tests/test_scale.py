"Sweeps on other executors (a Dask cluster), and a sweep killed mid-run and resumed."
import signal, time
import pandas as pd
import pytest
from conftest import start, numbers

pytestmark = pytest.mark.slow           # a Dask cluster, kills and a reference sweep: run by .ci/run after the quick tests

THREE = ['--seed', '42', '--batch-sizes', '8', '16', '32', '--limit-train', '3000', '--max-epochs', '3']   # three runs


def sweep(out, *extra):
    return start('run', *THREE, '--out', out, '--quiet', *extra)


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    "An uninterrupted, serial sweep."
    out = tmp_path_factory.mktemp('ref')/'out'
    p = sweep(out, '--workers', '1'); _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    return out


def test_killed_sweep_resumes_to_the_same_results(reference, tmp_path):
    out = tmp_path/'out'
    p = sweep(out, '--workers', '1')
    deadline = time.time() + 300
    while not list(out.glob('runs/*/manifest.json')) and time.time() < deadline: time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    done = {q.parent.name: q.parent/'weights.npz' for q in out.glob('runs/*/manifest.json')}   # the last write of a run
    assert 1 <= len(done) < 3, 'the kill should land while a later run is training'
    stamps = {k: v.stat().st_mtime_ns for k, v in done.items()}
    if (out/'results.csv').exists():                           # the kill may land before it is rewritten,
        partial = pd.read_csv(out/'results.csv')               # but it is never half-written
        assert set(partial['run_id']) <= set(done) and partial['test_accuracy'].notna().all()
    p = sweep(out, '--workers', '1'); _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    assert {k: v.stat().st_mtime_ns for k, v in done.items()} == stamps    # finished runs not trained again
    pd.testing.assert_frame_equal(numbers(out), numbers(reference))
    assert not list(out.glob('runs/*/.*.tmp'))


def test_two_local_workers_match_serial(reference, tmp_path):
    p = sweep(tmp_path/'out', '--workers', '2'); _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    pd.testing.assert_frame_equal(numbers(tmp_path/'out'), numbers(reference))


def test_dask_local_cluster_matches_serial(reference, tmp_path):
    distributed = pytest.importorskip('distributed')
    from htsr_overtrain.training import RunConfig
    from htsr_overtrain.sweep import run_sweep
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host='127.0.0.1',
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        run_sweep(RunConfig(limit_train=3000, max_epochs=3), dict(batch_size=[8, 16, 32]), tmp_path/'out',
                  quiet=True, executor=client.get_executor())
    pd.testing.assert_frame_equal(numbers(tmp_path/'out'), numbers(reference))
