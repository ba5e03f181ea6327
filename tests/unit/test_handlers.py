# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every notify in roles/ names a handler (its name or a listen topic) that a role defines, handler names
are static strings (Ansible does not template them for notify), and the daemon-neutral handler names stay
neutral (issue 28: "Restart the time daemon", not "Restart ntpd", on every daemon)."""

from __future__ import annotations

import glob
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or []


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _names(value):
    return [value] if isinstance(value, str) else list(value or [])


def handlers():
    """{name or listen topic: handler file} of every role."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'handlers', '*.yml'))):
        for handler in _load(path):
            for name in [handler['name']] + _names(handler.get('listen')):
                found[name] = os.path.relpath(path, ROOT)
    return found


def notified():
    """[(task file, notified name)] of every task in roles/."""
    result = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'tasks', '*.yml'))):
        for node in _walk(_load(path)):
            for name in _names(node.get('notify')):
                result.append((os.path.relpath(path, ROOT), name))
    return result


def test_every_notify_names_a_handler():
    known = handlers()
    calls = notified()
    assert calls, 'no notify found: the walk is broken'
    unknown = ['%s notifies %r' % call for call in calls if call[1] not in known]
    assert not unknown, 'no handler has these names (handlers: %s)' % sorted(known)


def test_handler_names_are_static_and_neutral():
    for name, path in handlers().items():
        assert '{{' not in name, '%s: handler %r is templated (notify matches static names)' % (path, name)
    restarts = [name for name in handlers() if name.startswith('Restart ') and 'node exporter' not in name]
    assert restarts == ['Restart the time daemon']
