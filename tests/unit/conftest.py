# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.timesec.ntp`` importable and share module-running fixtures.

``ansible-test units`` already has a collection loader in place; plain pytest needs the
directory that *contains* ``ansible_collections`` on sys.path. We find it by walking up
from this file, then from the working directory. pytest and os.getcwd() resolve
symlinks, so the shell's logical working directory ($PWD) is tried too: that is what
makes ``cd .../ansible_collections/timesec/ntp && python -m pytest tests/unit`` work when
that path is a symlink to a checkout outside any ``ansible_collections`` tree.
"""

from __future__ import annotations

import os
import sys


def _collections_parent(start):
    here = start
    while True:
        if os.path.basename(here) == 'ansible_collections':
            return os.path.dirname(here)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


for _start in (os.path.dirname(os.path.abspath(__file__)), os.getcwd(), os.environ.get('PWD') or '/'):
    _root = _collections_parent(_start)
    if _root:
        if _root not in sys.path:
            sys.path.insert(0, _root)
        break
else:  # pragma: no cover - a layout problem, not a test failure
    raise RuntimeError('run the tests from inside an ansible_collections/timesec/ntp tree')

import pytest  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.timesec.ntp.tests.unit.utils import ModuleExit, ModuleFail  # noqa: E402


@pytest.fixture
def module_exits(monkeypatch):
    """exit_json / fail_json raise with the raw result dict (before Ansible masks no_log values)."""
    def exit_json(self, **kwargs):
        kwargs.setdefault('changed', False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        kwargs['failed'] = True
        raise ModuleFail(kwargs)

    monkeypatch.setattr(AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(AnsibleModule, 'fail_json', fail_json)
