# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/paths (issue 26, item 4): shared directories, "." and ".." segments, existing directories
never re-owned. The filter ntp_dir_problem and the lookup ntp_controller_dir built on it are tested in
tests/unit/plugins/filter/test_dir_problem.py and tests/unit/plugins/lookup/test_ntp_controller_dir.py."""

from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import paths


@pytest.mark.parametrize('path, message', [
    ('/etc', 'is /etc, a directory other software shares'),
    ('/etc/', 'is /etc, a directory other software shares'),
    ('//etc//', 'is /etc, a directory other software shares'),
    ('/', 'is /, a directory other software shares'),
    ('//', 'is /, a directory other software shares'),
    ('/tmp', 'is /tmp'), ('/var', 'is /var'), ('/usr', 'is /usr'), ('/home', 'is /home'), ('/root', 'is /root'),
    ('/etc/ssl/private', 'is /etc/ssl/private'),
    ('/etc/ntp/../..', 'has a "." or ".." segment'),
    ('/etc/./ntp', 'has a "." or ".." segment'),
    ('/etc/ntp/..', 'has a "." or ".." segment'),
    ('etc/ntp', 'is not an absolute path'),
    ('', 'is empty or not a string'),
    (None, 'is empty or not a string'),
    ('/etc/ntp\n', 'holds a control character'),
    ('/home/alice', 'the home directory of the user running Ansible'),
    ('/home/alice/', 'the home directory of the user running Ansible'),
])
def test_refused(path, message):
    problem = paths.lexical_problem(path, 'ntp_client_keysdir', home='/home/alice')
    assert problem and problem.startswith('ntp_client_keysdir') and message in problem


@pytest.mark.parametrize('path', ['/etc/ntp', '/etc/timesec-ntp/keys', '/var/lib/ntp/keys', '/tmp/x', '/etc/ntp..keys',
                                  '/home/alice/.ansible/timesec.ntp/iffpar', '/srv/ntp-export'])
def test_accepted(path):
    """The negative control of test_refused: near misses pass."""
    assert paths.lexical_problem(path, 'v', home='/home/alice') is None


def test_shared_list_is_data_and_absolute():
    assert all(path.startswith('/') and (path == '/' or not path.endswith('/')) for path in paths.SHARED_DIRS)
    assert {'/', '/etc', '/usr', '/var', '/tmp', '/home', '/root'} <= paths.SHARED_DIRS


def info(mode, uid=0, group='ntp', isdir=True, realpath=None):
    return {'isdir': isdir, 'uid': uid, 'gid': 0, 'group': group, 'mode': mode, 'realpath': realpath}


@pytest.mark.parametrize('stat, private, reader, message', [
    (info(0o750), False, 'ntp', None),
    (info(0o755, group='root'), False, 'ntp', None),
    (info(0o700, group='root'), True, None, None),
    (info(0o777), False, 'ntp', 'exists with mode 0777: group or others may write to it'),
    (info(0o770), False, 'ntp', 'exists with mode 0770: group or others may write to it'),
    (info(0o750, group='root'), False, 'ntp', 'ntpd (group ntp) cannot read it'),
    (info(0o750, uid=1000), False, 'ntp', 'is owned by uid 1000, not by root'),
    (info(0o755), True, None, 'it is to hold private keys'),
    (info(0o640, isdir=False), False, None, 'exists and is not a directory'),
    (info(0o755, realpath='/etc'), False, None, 'it resolves to /etc through a symbolic link'),
    (dict(info(0o755), islink=True, realpath='/srv/keys'), False, None, 'is a symbolic link'),
])
def test_existing_directory(stat, private, reader, message):
    problem = paths.stat_problem(stat, '/srv/keys', 'ntp_server_keysdir', 0, private, reader_group=reader)
    if message is None:
        assert problem is None
    else:
        assert problem and message in problem, problem
        if 'mode' in message or 'owned' in message or 'cannot read' in message:
            assert 'does not change the' in problem, 'the message must say the role leaves the directory alone'
