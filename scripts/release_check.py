"""Release gates of scripts/test.sh, run on the built tarball, offline.

  release_check.py importer   Galaxy's own import checks (galaxy-importer, its ansible-test in a container off:
                              scripts/galaxy-importer.cfg): no error and no warning; every module, lookup, filter
                              and test listed under its plugin name with its documentation; a README per role.
  release_check.py docs       antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all, in a
                              collections tree holding the installed tarball and its dependencies only (the docs of
                              the ~100 collections of the ansible bundle would take minutes to load): no message.

Both print what they ran and end with one line, "<gate>: passed" or "<gate>: FAILED (...)".
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GALAXY = yaml.safe_load((REPO / 'galaxy.yml').read_text())
FQCN = '%s.%s' % (GALAXY['namespace'], GALAXY['name'])


def run(argv, **kwargs):
    print('+ ' + ' '.join(str(a) for a in argv), flush=True)
    return subprocess.run([str(a) for a in argv], text=True, capture_output=True, check=False, **kwargs)


def build(workdir):
    proc = run(['ansible-galaxy', 'collection', 'build', REPO, '--output-path', workdir, '--force'])
    if proc.returncode != 0:
        sys.exit('build failed:\n%s%s' % (proc.stdout, proc.stderr))
    return next(Path(workdir).glob('*.tar.gz'))


def plugins_in_tree():
    """(type, name) of every plugin ansible-doc documents, from the file names."""
    found = set()
    for kind, directory in (('module', 'modules'), ('lookup', 'lookup'), ('filter', 'filter'), ('test', 'test')):
        for path in (REPO / 'plugins' / directory).glob('*.py'):
            if path.name != '__init__.py':
                found.add((kind, path.stem))
    return found


def importer():
    problems = []
    with tempfile.TemporaryDirectory(prefix='tsn-importer-') as workdir:
        tarball = build(workdir)
        env = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(REPO / 'scripts' / 'galaxy-importer.cfg'))
        proc = run([sys.executable, '-m', 'galaxy_importer.main', tarball], cwd=workdir, env=env)
        print(proc.stdout, end='')
        # stderr: Python's own warnings of imported libraries (e.g. cryptography's DSA deprecation), not the importer's
        if proc.returncode != 0:
            problems.append('galaxy-importer exited %d' % proc.returncode)
            print(proc.stderr, end='')
        flagged = [line for line in proc.stdout.splitlines() if re.match(r'\s*(WARNING|ERROR)\b', line)]
        problems += ['importer: %s' % line.strip()[:300] for line in flagged]
        result_path = Path(workdir) / 'importer_result.json'
        if not result_path.is_file():
            problems.append('no importer_result.json')
        else:
            result = json.loads(result_path.read_text())
            docs = {(c['content_type'], c['content_name']): c for c in result['docs_blob']['contents']}
            listed = {(c['content_type'], c['name']) for c in result['contents']
                      if c['content_type'] in ('module', 'lookup', 'filter', 'test')}
            if listed != plugins_in_tree():
                problems.append('Galaxy lists %s, the tree holds %s' % (sorted(listed), sorted(plugins_in_tree())))
            for key in sorted(listed):
                if not (docs.get(key) or {}).get('doc_strings'):
                    problems.append('%s %s.%s has no documentation on Galaxy' % (key[0], FQCN, key[1]))
            for role in sorted(p.name for p in (REPO / 'roles').iterdir() if p.is_dir()):
                if not (docs.get(('role', role)) or {}).get('readme_html'):
                    problems.append('role %s has no README on Galaxy' % role)
            print('Galaxy lists: %s' % ', '.join('%s %s' % key for key in sorted(listed)))
    return problems


def dependency_paths():
    """Where ansible-core finds each collection galaxy.yml depends on (the ansible bundle)."""
    proc = run(['ansible-galaxy', 'collection', 'list', '--format', 'json'])
    listing = json.loads(proc.stdout or '{}')
    paths = {}
    for root, collections in listing.items():
        for name in collections:
            paths.setdefault(name, Path(root) / name.replace('.', '/'))
    missing = sorted(set(GALAXY.get('dependencies') or {}) - set(paths))
    if missing:
        sys.exit('dependencies not installed: %s' % missing)
    return {name: paths[name] for name in GALAXY.get('dependencies') or {}}


def docs():
    problems = []
    with tempfile.TemporaryDirectory(prefix='tsn-docs-') as workdir:
        tarball = build(workdir)
        tree = Path(workdir) / 'tree'
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tree), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
        proc = run(['ansible-galaxy', 'collection', 'install', '--no-deps', '--offline', tarball, '-p', tree], env=env)
        if proc.returncode != 0:
            sys.exit('install failed:\n%s%s' % (proc.stdout, proc.stderr))
        for name, path in dependency_paths().items():
            link = tree / 'ansible_collections' / name.replace('.', '/')
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
        collection = tree / 'ansible_collections' / GALAXY['namespace'] / GALAXY['name']
        proc = run(['antsibull-docs', 'lint-collection-docs', '--plugin-docs', '--validate-collection-refs', 'all',
                    collection], cwd=collection, env=env)
        print(proc.stdout, end='')
        print(proc.stderr, end='')
        if proc.returncode != 0:
            problems.append('antsibull-docs exited %d' % proc.returncode)
        problems += ['antsibull-docs: %s' % line[:300] for line in proc.stdout.splitlines() if line.strip()]
    return problems


def main(argv):
    gates = {'importer': importer, 'docs': docs}
    if len(argv) != 2 or argv[1] not in gates:
        sys.exit('usage: %s %s' % (argv[0], '|'.join(gates)))
    problems = gates[argv[1]]()
    for problem in problems:
        print('PROBLEM ' + problem)
    print('%s: %s' % (argv[1], 'passed' if not problems else 'FAILED (%d problems)' % len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
