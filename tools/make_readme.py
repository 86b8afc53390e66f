"""Write README.md from nbs/index.ipynb without Quarto (which `nbdev_readme` needs).

Markdown cells are copied; code cells are copied as Python blocks unless they are hidden (`#| hide`,
`#| echo: false`); a code cell with a comment `# README image: PATH` becomes that
image, and one with `# README include: PATH` the text of that committed file (its relative links follow it). Links are made relative to the repository root: `../x` becomes `x`, and a link to a sibling notebook
(`07_reproduction.ipynb`) becomes `nbs/07_reproduction.ipynb`.
`python tools/make_readme.py --check` exits 1 when README.md is out of step.
"""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]

def render() -> str:
    nb = json.loads((root/'nbs'/'index.ipynb').read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if c['cell_type'] == 'markdown': out.append(src)
        elif c['cell_type'] == 'code':
            img = re.search(r'^# README image: (\S+)', src, re.M)
            inc = re.search(r'^# README include: \.\./(\S+)', src, re.M)
            if inc:                      # the file's own relative links (its figure) made relative to the root
                where = Path(inc.group(1)).parent.as_posix()
                out.append(re.sub(r'\]\((?!https?:|/|#)([^)]+)\)', lambda m: f'](../{where}/{m.group(1)})',
                                  (root/inc.group(1)).read_text().strip()))
            elif img: out.append(f"![{Path(img.group(1)).stem.replace('_', ' ')}]({img.group(1)})")
            elif not re.search(r'^#\|\s*(hide|echo:\s*false)', src, re.M):
                out.append('```python\n' + src + '\n```')
    text = '\n\n'.join(out) + '\n'
    text = re.sub(r'\]\(\.\./', '](', text)
    text = re.sub(r'\]\(([\w.-]+\.ipynb)\)', r'](nbs/\1)', text)
    return '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n' + text

if __name__ == '__main__':
    new = render()
    if '--check' in sys.argv:
        if (root/'README.md').read_text() != new: sys.exit('README.md is out of step with nbs/index.ipynb: run python tools/make_readme.py')
    else: (root/'README.md').write_text(new)
