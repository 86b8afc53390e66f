"README.md is the index notebook, and its test command is what CI runs."
import re, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]


def test_readme_in_step_with_index():
    p = subprocess.run([sys.executable, str(root/'tools'/'make_readme.py'), '--check'], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_ci_runs_the_readme_test_command():
    readme, ci = (root/'README.md').read_text(), (root/'.ci'/'run').read_text()
    cmds = re.findall(r'```sh\n(.*?)\n```', readme, re.S)
    assert len(cmds) == 2, cmds                      # install-and-run, install-and-test
    assert cmds[1].strip() in ci


def test_sidebar_lists_every_notebook():
    "settings.ini sets custom_sidebar (findings comes right after the index): every notebook must be listed by hand."
    listed = re.findall(r'-\s+(\S+\.ipynb)', (root/'nbs'/'sidebar.yml').read_text())
    assert sorted(listed) == sorted(p.name for p in (root/'nbs').glob('*.ipynb')), listed
    assert listed[:3] == ['index.ipynb', 'findings.ipynb', 'diagnose.ipynb']
