# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/map.md's recipes against the support matrix (issue 28, item 7): a scheme or daemon named in
roles/ntp_common/vars/support.yml has every file and data entry the map's "How to add a daemon, a scheme, a
platform" names for it. The argument_specs choices are checked in test_support_matrix.py, the scheme's lines
and refused cells in test_template_matrix.py."""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

from ansible_collections.timesec.ntp.plugins.module_utils import metrics
from ansible_collections.timesec.ntp.plugins.modules import ntp_status_info

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPE = 'docs/map.md, "How to add a daemon, a scheme, a platform"'


def load(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


SUPPORT = load('roles/ntp_common/vars/support.yml')['__ntp_common_support']
SERVER_VARS = 'roles/ntp_server/vars/main.yml'
CLIENT_VARS = 'roles/ntp_client/vars/main.yml'
COMMON_VARS = 'roles/ntp_common/vars/platform_defaults.yml'

# "A scheme": (file under ROOT with {s} for the scheme) or (vars file, variable that needs a key {s}).
SCHEME_FILES = ['roles/ntp_server/tasks/check_{s}.yml', 'roles/ntp_server/tasks/{s}.yml',
                'roles/ntp_client/tasks/servers_{s}.yml', 'roles/ntp_client/tasks/{s}.yml']
SCHEME_ENTRIES = [(SERVER_VARS, '__ntp_server_schemes'), (SERVER_VARS, '__ntp_server_needs'),
                  (CLIENT_VARS, '__ntp_client_schemes'), (CLIENT_VARS, '__ntp_client_needs'),
                  (CLIENT_VARS, '__ntp_client_lookups'), (CLIENT_VARS, '__ntp_client_verified')]


def fail(kind, name, gaps):
    return '%s %r is in roles/ntp_common/vars/support.yml, but %s: see %s' % (kind, name, '; '.join(gaps), RECIPE)


@pytest.mark.parametrize('scheme', sorted(SUPPORT['schemes']))
def test_scheme_has_its_files_and_entries(scheme):
    gaps = ['no file %s' % path for path in (p.format(s=scheme) for p in SCHEME_FILES)
            if not os.path.isfile(os.path.join(ROOT, path))]
    gaps += ['no entry %s in %s (%s)' % (scheme, var, path) for path, var in SCHEME_ENTRIES
             if scheme not in load(path)[var]]
    if scheme not in metrics.SCHEMES:
        gaps.append('not in SCHEMES of plugins/module_utils/metrics.py (the collector\'s --scheme)')
    server = load(SERVER_VARS)['__ntp_server_schemes'].get(scheme, {})
    client = load(CLIENT_VARS)['__ntp_client_schemes'].get(scheme, {})
    for var, entry in (('__ntp_server_schemes', server), ('__ntp_client_schemes', client)):
        if entry:
            lines = entry.get('scheme', {}).get('lines', {})
            gaps += ['no %s.%s.scheme.lines.%s (%s offers it)' % (var, scheme, daemon, daemon)
                     for daemon, record in SUPPORT['daemons'].items()
                     if scheme in record['schemes'] and daemon not in lines]
    assert not gaps, fail('scheme', scheme, gaps)


def daemon_record(daemon):
    """The daemon's __ntp_common_daemons entry, following a string entry to the vars file it combines (chrony.yml),
    as tasks/platform.yml builds it."""
    entry = load(COMMON_VARS)['__ntp_common_daemons'].get(daemon)
    if not isinstance(entry, str):
        return entry
    var = re.search(r'__ntp_common_\w+', entry).group(0)
    for path in glob.glob(os.path.join(ROOT, 'roles/ntp_common/vars/*.yml')):
        data = load(path)
        if var in data:
            return data[var]
    return None


@pytest.mark.parametrize('daemon', sorted(SUPPORT['daemons']))
def test_daemon_has_its_files_and_entries(daemon):
    gaps = []
    record = daemon_record(daemon)
    if not record:
        gaps.append('no entry %s in __ntp_common_daemons (%s, or the vars file its string entry names)'
                    % (daemon, COMMON_VARS))
    elif not os.path.isfile(os.path.join(ROOT, 'roles/ntp_common/templates', record.get('template', ''))):
        gaps.append('no template roles/ntp_common/templates/%s (its record\'s template)' % record.get('template'))
    choices = yaml.safe_load(ntp_status_info.DOCUMENTATION)['options']['daemon']['choices']
    if daemon not in choices:
        gaps.append('not in the daemon choices of plugins/modules/ntp_status_info.py')
    if ntp_status_info.READER_OF.get(daemon) not in ntp_status_info.READERS:
        gaps.append('no reader in READER_OF/READERS of plugins/modules/ntp_status_info.py')
    if daemon not in load(COMMON_VARS)['__ntp_common_time_services']:
        gaps.append('not in __ntp_common_time_services (%s)' % COMMON_VARS)
    assert not gaps, fail('daemon', daemon, gaps)
