"""diagnose on PyTorch models saved as people save them: a state dict, a safetensors folder with a config.json, a
pickled module (refused), a pickle that would run code (never runs). Needs PyTorch, which the package does not:
.ci/run runs these in a virtual environment of their own with torch==2.13.0 (`pytest -m torch`); elsewhere they skip."""
import json, os, subprocess, sys
import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.torch]
torch = pytest.importorskip('torch')
nn = torch.nn


class Block(nn.Module):
    "An embedding, an attention block, a convolution and two Linear layers."
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(1000, 128)
        self.attn = nn.MultiheadAttention(128, 4, batch_first=True)
        self.conv = nn.Conv2d(64, 64, 3)
        self.fc1, self.fc2 = nn.Linear(784, 300), nn.Linear(300, 100)


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = Block()
    with torch.no_grad():                                  # heavy-tailed weights, as trained layers have
        for p in m.parameters(): p.copy_(torch.distributions.StudentT(3.0).sample(p.shape) * 0.05)
    return m


def ww_alphas(m):
    "weightwatcher 0.7.7's own analyze of the module: layer name -> alpha."
    import weightwatcher as ww
    d = ww.WeightWatcher(model=m).analyze()
    return {r['name']: r['alpha'] for _, r in d.iterrows()}


def ours(path, **kw):
    from htsr_overtrain.analysis import diagnose
    return diagnose(path, quiet=True, **kw).set_index('name')


def test_a_state_dict_agrees_with_weightwatcher(model, tmp_path):
    torch.save(model.state_dict(), tmp_path/'m.pt')
    d, ref = ours(tmp_path/'m.pt'), ww_alphas(model)
    for name in ('fc1', 'fc2', 'conv'):                    # the layers weightwatcher's analyze fits
        assert name in ref and abs(d.loc[f'{name}.weight', 'alpha'] - ref[name]) <= 1e-9 * ref[name], (name, d.loc[f'{name}.weight', 'alpha'], ref[name])
    assert d.loc['embed.weight', 'reason'].startswith('an embedding') and np.isfinite(d.loc['embed.weight', 'alpha'])
    assert np.isfinite(d.loc['attn.in_proj_weight', 'alpha']) and d.loc['attn.in_proj_weight', 'M'] == 128
    assert d.loc['fc1.bias', 'verdict'] == 'not analysed'


def test_a_safetensors_folder_with_a_config_is_the_same_model(model, tmp_path):
    from safetensors.torch import save_file
    folder = tmp_path/'hf'; folder.mkdir()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder/'model.safetensors'))
    (folder/'config.json').write_text(json.dumps({'model_type': 'block', 'hidden_size': 128}))
    torch.save(model.state_dict(), tmp_path/'m.pt')
    a, b = ours(folder), ours(tmp_path/'m.pt')
    assert sorted(a.index) == sorted(b.index)
    for n in b.index:
        x, y = a.loc[n, 'alpha'], b.loc[n, 'alpha']
        assert (np.isnan(x) and np.isnan(y)) or abs(x - y) <= 1e-9 * abs(y), n
    assert list(ours(folder, layers=r'^fc\d\.weight$').index) == ['fc1.weight', 'fc2.weight']


def cli(*args):
    "The command, run by this interpreter (the one with torch)."
    return subprocess.run([sys.executable, '-c', 'import sys; from htsr_overtrain.cli import main; sys.argv[0] = "htsr-overtrain"; main()',
                           *map(str, args)], capture_output=True, text=True, timeout=600, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))


def test_a_pickled_module_is_refused_in_one_line(model, tmp_path):
    torch.save(model, tmp_path/'whole.pt')                 # the module itself, not its state dict
    p = cli('diagnose', tmp_path/'whole.pt')
    assert p.returncode != 0 and 'Traceback' not in p.stderr, p.stderr
    assert 'whole.pt' in p.stderr and 'state_dict' in p.stderr, p.stderr


def test_a_pickle_that_would_run_code_never_runs(tmp_path):
    import pickle
    marker = tmp_path/'pwned'
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    (tmp_path/'evil.pt').write_bytes(pickle.dumps({'fc.weight': Evil()}))
    p = cli('diagnose', tmp_path/'evil.pt')
    assert p.returncode != 0 and 'Traceback' not in p.stderr and 'evil.pt' in p.stderr, p.stderr
    assert not marker.exists()
