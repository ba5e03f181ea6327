# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 26, item 5, read from the source: every pattern of the roles and plugins matches whole strings (``\\Z``
or ``fullmatch``, never ``$``, which also takes a trailing newline), and every task that names a secret has
``no_log``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RE_FUNCTIONS = {'compile', 'match', 'search', 'fullmatch', 'sub', 'subn', 'split', 'findall', 'finditer'}
# An anchor "$": a dollar sign that no backslash escapes (and that is not ${...}, a shell or dpkg variable).
DOLLAR_ANCHOR = re.compile(r'(?<!\\)\$(?!\{)')


def python_patterns():
    """(file:line, pattern text) of every re.<function>(<literal>, ...) in plugins/ (literal parts of it)."""
    found = []
    for path in sorted((ROOT / 'plugins').rglob('*.py')):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RE_FUNCTIONS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == 're' and node.args):
                parts = [n.value for n in ast.walk(node.args[0]) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                found.append(('%s:%d' % (path.relative_to(ROOT), node.lineno), ''.join(parts)))
    return found


YAML_PATTERN_CALLS = [
    re.compile(r'''\b(?:match|search|regex|regex_search|regex_replace|regex_findall)\(\s*(['"])(?P<p>.*?)(?<!\\)\1'''),
    re.compile(r'''select\(\s*['"](?:match|search|regex)['"]\s*,\s*(['"])(?P<p>.*?)(?<!\\)\1'''),
]


def yaml_patterns():
    """(file:line, pattern) of the Jinja tests and filters that take a pattern, lineinfile's regexp and the *_re
    variables, in roles/ and playbooks/."""
    found = []
    for path in sorted(list((ROOT / 'roles').rglob('*.yml')) + list((ROOT / 'playbooks').rglob('*.yml'))):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = '%s:%d' % (path.relative_to(ROOT), number)
            for call in YAML_PATTERN_CALLS:
                found += [(where, m.group('p')) for m in call.finditer(line)]
            setting = re.match(r'\s*(?:regexp|[A-Za-z0-9_]+_re):\s*(.+)', line)
            if setting:
                found.append((where, setting.group(1).strip()))
    return found


def test_the_source_has_patterns_to_check():
    """The readers below must find the patterns (or the next test proves nothing)."""
    assert len(python_patterns()) >= 15 and len(yaml_patterns()) >= 5


@pytest.mark.parametrize('where, pattern', python_patterns() + yaml_patterns())
def test_patterns_match_whole_strings(where, pattern):
    assert not DOLLAR_ANCHOR.search(pattern), (
        '%s: %r ends a match with "$", which also matches before a trailing newline: use \\Z (or fullmatch)'
        % (where, pattern))


# Variables whose values are secrets (or hold them), and the lookup that returns key values. A task that names one
# of them - in its module arguments, loop, conditions or vars - must have no_log, or its value can reach -v output,
# a registered result or a diff. Roles reach them through derived variables (vars/main.yml) that hold no secret:
# __ntp_server_conf.upstream_lines, __ntp_server_nts_own_key, ...
SECRETS = re.compile(r'\b(?:ntp_server_crypto_password|ntp_client_crypto_password|__ntp_server_password|ntp_common_password'
                     r'|ntp_server_nts_key|__ntp_server_nts_key_src|ntp_server_upstream_servers|__ntp_server_upstreams'
                     r'|__ntp_server_upstream_keys|ntp_common_symmetric_extra|__ntp_server_group_member'
                     r'|__ntp_server_group_key|__ntp_server_token_salt|ntp_symmetric_key)\b')


def tasks_of(items, no_log=False):
    """Every task in a task list, with whether no_log applies to it (its own, or its block's)."""
    for item in items or []:
        own = item.get('no_log', no_log)
        if 'block' in item:
            yield from tasks_of(item['block'], own)
            yield from tasks_of(item.get('rescue'), own)
            yield from tasks_of(item.get('always'), own)
        else:
            yield item, own


# Keys whose strings are bare Jinja expressions; elsewhere only {{ }} and {% %} are code (the rest is prose, which
# may name a variable).
BARE = {'when', 'that', 'failed_when', 'changed_when', 'until', 'loop'}
JINJA = re.compile(r'\{\{.*?\}\}|\{%.*?%\}', re.S)


def code_of(value, bare=False):
    """The Jinja code in a task's values."""
    if isinstance(value, dict):
        return ''.join(code_of(v, bare=k in BARE) for k, v in value.items())
    if isinstance(value, list):
        return ''.join(code_of(v, bare) for v in value)
    if isinstance(value, str):
        return value + '\n' if bare else '\n'.join(JINJA.findall(value)) + '\n'
    return ''


def secret_tasks():
    found = []
    for path in sorted(ROOT.glob('roles/*/tasks/*.yml')) + sorted(ROOT.glob('roles/*/handlers/*.yml')):
        for task, no_log in tasks_of(yaml.safe_load(path.read_text())):
            body = {key: value for key, value in task.items() if key not in ('name', 'no_log')}
            # the module's name counts too (timesec.ntp.ntp_symmetric_key handles the key store)
            names = sorted(set(SECRETS.findall(code_of(body) + ' '.join(body))))
            if names:
                found.append(('%s: %s' % (path.relative_to(ROOT), task.get('name')), names, no_log))
    return found


def test_the_source_has_secret_tasks():
    assert len(secret_tasks()) >= 8


@pytest.mark.parametrize('task, names, no_log', secret_tasks(), ids=[t[0] for t in secret_tasks()])
def test_tasks_that_see_a_secret_have_no_log(task, names, no_log):
    assert no_log is True, '%s names %s but has no no_log: true' % (task, ', '.join(names))
