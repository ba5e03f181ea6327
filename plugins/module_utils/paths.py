# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories the roles create and own, and the ones they never touch (issue 26, item 4).

The roles create a directory that is missing, with the owner and mode its contents need (the keys
directory on a host 0750 root:<daemon group>, the controller's export directory, NTS CA directory and
symmetric key store 0700). A directory that exists already is someone else's: the roles never change
its owner or mode. When it is not fit for what the role would put there (not owned by the right
user, writable by others, or - for secrets - readable by others), the role fails before any change
and says what to do instead. Shared system directories (``SHARED_DIRS``, the one list) and paths
with ``.`` or ``..`` segments are refused outright, as are the controller user's home directory.

Pure functions, no Ansible imports: the filter ntp_dir_problem (host side), the lookup
ntp_controller_dir (controller side), the module ntp_symmetric_key and the unit tests share them.
Messages name the variable and the fix; they show a path only after it passed the checks that
make it a plain absolute path (never an arbitrary value).
"""

from __future__ import annotations

import os
import re
import stat

# Directories that other software shares: never a keys directory, export directory, CA directory or
# key store (the roles would put their files among others', let ntpd's AppArmor profile read all of
# it, or - before issue 26 - re-own it). Exact paths, after removing a trailing '/'.
SHARED_DIRS = frozenset((
    '/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt',
    '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var',
    '/etc/apparmor.d', '/etc/chrony', '/etc/default', '/etc/dhcp', '/etc/network', '/etc/ntpsec', '/etc/ssh',
    '/etc/ssl', '/etc/ssl/certs', '/etc/ssl/private', '/etc/systemd', '/etc/systemd/system',
    '/run/lock', '/run/user', '/usr/bin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/local',
    '/usr/local/bin', '/usr/local/etc', '/usr/local/lib', '/usr/local/sbin', '/usr/local/share',
    '/usr/local/share/ca-certificates', '/usr/sbin', '/usr/share', '/var/backups', '/var/cache', '/var/lib',
    '/var/lib/chrony', '/var/lib/ntp', '/var/lib/ntpsec', '/var/local', '/var/lock', '/var/log', '/var/mail',
    '/var/opt', '/var/run', '/var/spool', '/var/tmp',
))

# What the checks need to know about a directory that exists (stat of its target): the same keys from
# os.stat on the controller and from ansible.builtin.stat on a host (see stat_info / host_stat_info).
#   isdir, uid, gid, group (name or None), mode (int, permission bits), realpath


def lexical_problem(path, variable, home=None):
    """Why ``path`` cannot be a directory the roles create and own, judged from the string alone; None
    when it can. ``home``: the user's home directory (refused too, on the controller)."""
    if not isinstance(path, str) or not path:
        return '%s is empty or not a string: give the absolute path of a directory of its own.' % variable
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return '%s holds a control character (a newline?): give a plain absolute path.' % variable
    if not path.startswith('/'):
        return '%s is not an absolute path: give one that starts with "/" (on the controller "~/" works too).' % variable
    if any(segment in ('.', '..') for segment in path.split('/')):
        return ('%s has a "." or ".." segment: write the directory without them (the roles refuse paths that could '
                'lead out of the directory they seem to name).' % variable)
    return shared_problem(normalise(path), variable, home)


def normalise(path):
    """``path`` with runs of "/" collapsed and no trailing "/" (``/`` stays ``/``)."""
    return re.sub('/+', '/', path).rstrip('/') or '/'


def shared_problem(path, variable, home=None, resolved=False):
    """The message for a normalised path that is a shared directory or ``home``, else None."""
    how = ' (it resolves to %s through a symbolic link)' % path if resolved else ''
    if path in SHARED_DIRS:
        return ('%s is %s%s, a directory other software shares: the roles would put keys, certificates or exports '
                'among other files there (and, for a keys directory, let ntpd read all of them). Choose a directory of '
                'its own, e.g. the default.' % (variable, path if not resolved else 'a path', how))
    if home and path == normalise(home):
        return ('%s is the home directory of the user running Ansible%s: choose a directory of its own under it '
                '(e.g. the default under ~/.ansible/timesec.ntp).' % (variable, how))
    return None


def stat_problem(info, path, variable, owner_uid, private, reader_group=None, home=None, owner_name=None):
    """Why an existing directory (``info``, see stat_info) is not fit for the role's files, which need it
    owned by ``owner_uid``, writable by no one else, and with ``private`` (secrets) closed to group and
    others; ``reader_group``: a group that must be able to read it (ntpd's, for the keys directory),
    through the group or others bits. None when it is fit. The role never changes an existing
    directory's owner or mode: the message says what to run instead."""
    if info.get('islink'):
        return ('%s (%s) is a symbolic link: give the directory itself (AppArmor and these checks judge the real path).'
                % (variable, path))
    if not info['isdir']:
        return '%s (%s) exists and is not a directory: remove it, or choose another path.' % (variable, path)
    real = info.get('realpath')
    if real and normalise(real) != normalise(path):
        problem = shared_problem(normalise(real), variable, home, resolved=True)
        if problem:
            return problem
    mode = info['mode'] & 0o7777
    fix_new = 'or choose a directory that does not exist yet (the role creates it with the owner and mode it needs)'
    who = owner_name or ('root' if owner_uid == 0 else 'uid %d' % owner_uid)
    if info['uid'] != owner_uid:
        return ('%s (%s) exists and is owned by uid %d, not by %s: the role does not change the owner of a directory '
                'it did not create. Run "chown %s %s" yourself if that is right, %s.'
                % (variable, path, info['uid'], who, who, path, fix_new))
    if mode & 0o022:
        return ('%s (%s) exists with mode %04o: group or others may write to it, so they could replace what the role '
                'puts there. The role does not change the mode of a directory it did not create: run "chmod go-w %s" '
                'yourself, %s.' % (variable, path, mode, path, fix_new))
    if private and mode & 0o077:
        return ('%s (%s) exists with mode %04o: it is to hold private keys, so group and others must have no access. '
                'The role does not change the mode of a directory it did not create: run "chmod 0700 %s" yourself, %s.'
                % (variable, path, mode, path, fix_new))
    if reader_group is not None:
        by_group = info.get('group') == reader_group and mode & 0o050 == 0o050
        by_others = mode & 0o005 == 0o005
        if not (by_group or by_others):
            return ('%s (%s) exists with mode %04o and group %s: ntpd (group %s) cannot read it. The role does not '
                    'change the owner or mode of a directory it did not create: run "chgrp %s %s; chmod 0750 %s" '
                    'yourself, %s.' % (variable, path, mode, info.get('group') or info.get('gid'), reader_group,
                                       reader_group, path, path, fix_new))
    return None


def stat_info(path):
    """``info`` for stat_problem from os.stat on this machine (following links); None when ``path`` is missing."""
    try:
        result = os.stat(path)
    except FileNotFoundError:
        return None
    try:
        import grp
        group = grp.getgrgid(result.st_gid).gr_name
    except (ImportError, KeyError):
        group = None
    return {'isdir': stat.S_ISDIR(result.st_mode), 'uid': result.st_uid, 'gid': result.st_gid, 'group': group,
            'mode': stat.S_IMODE(result.st_mode), 'realpath': os.path.realpath(path)}


def host_stat_info(result):
    """``info`` for stat_problem from ansible.builtin.stat's ``stat`` (follow: false: a symbolic link is refused),
    or from an entry of ntp_host_info's RV(stat); None when missing."""
    if result and 'type' in result and 'exists' not in result:
        # an entry of ntp_host_info's stat (links not followed)
        return {'isdir': result['type'] == 'directory', 'islink': result['type'] == 'link', 'uid': result.get('uid'),
                'gid': result.get('gid'), 'group': result.get('group'), 'mode': int(str(result.get('mode') or '0'), 8),
                'realpath': result.get('realpath')}
    if not result or not result.get('exists'):
        return None
    return {'isdir': bool(result.get('isdir')), 'islink': bool(result.get('islnk')), 'uid': result.get('uid'),
            'gid': result.get('gid'), 'group': result.get('gr_name'), 'mode': int(str(result.get('mode') or '0'), 8),
            'realpath': result.get('lnk_source') or result.get('path')}


def controller_dir(path, variable, private, home=None, uid=None, owner_name=None):
    """Check a controller directory (``~`` expanded here): returns (expanded path, exists, problem or None)."""
    home = home if home is not None else os.path.expanduser('~')
    expanded = os.path.expanduser(path) if isinstance(path, str) and path.startswith('~') else path
    problem = lexical_problem(expanded, variable, home)
    if problem:
        return expanded, False, problem
    info = stat_info(expanded)
    if info is None:
        return expanded, False, None
    uid = os.geteuid() if uid is None else uid
    if owner_name is None:
        try:
            import pwd
            owner_name = pwd.getpwuid(uid).pw_name
        except (ImportError, KeyError):
            owner_name = None
    return expanded, True, stat_problem(info, expanded, variable, uid, private, home=home,
                                        owner_name=(owner_name or 'uid %d' % uid) + ' (the user running Ansible)')
