# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host holds of the time daemons, read in one pass (module ntp_host_info): package states, the files
the roles wrote (their marker), the keys directory an Autokey configuration names, the daemon's start against
the files it reads, and the installed hooks that step the clock from plain NTP."""

from __future__ import annotations

import fnmatch
import glob
import grp
import hashlib
import os
import pwd
import re
import socket
import stat as stat_module

# What the roles write at the top of every configuration and keys file (templates, keys_file.yml), and
# around their block in AppArmor's local include (apparmor.yml): a file holding one of them is theirs.
MARKERS = ('written by timesec.ntp', 'BEGIN timesec.ntp keys directory')
# The suffix of the copy the roles keep of a file they replaced the first time (the user's own).
ORIGINAL_SUFFIX = '.orig-timesec'

# Debian's packages that step the clock from unauthenticated NTP, and what of them does it (Debian 11, 12
# and 13; README, "Unauthenticated clock steps"): ntpsec-ntpdate's ifupdown hook stops ntpsec, runs
# ntpdate-debian -s (the servers of ntp.conf or DHCP's, plain NTP) and starts ntpsec again, its
# NetworkManager dispatcher and dhclient hooks feed it DHCP's servers; ntpdate (Debian 11) keeps the tools and
# the dhclient hook, and up to Debian 10 it had the ifupdown hook too (an upgrade can leave it behind).
STEPPER_PACKAGES = ('ntpdate', 'ntpsec-ntpdate')
STEPPERS = (
    '/etc/network/if-up.d/ntpsec-ntpdate',
    '/etc/network/if-up.d/ntpdate',
    '/etc/NetworkManager/dispatcher.d/ntpsec-ntpdate',
    '/etc/dhcp/dhclient-exit-hooks.d/ntpsec-ntpdate',
    '/etc/dhcp/dhclient-exit-hooks.d/ntpdate',
    '/usr/sbin/ntpdate-debian',
    '/usr/sbin/ntpdate',
)

KEYSDIR_RE = re.compile(r'^\s*keysdir\s+"?([^\s"#]+)', re.M)
READ_LIMIT = 1 << 20


def dpkg_states(output, packages):
    """{package: dpkg's two-letter state ('ii' installed, 'rc' removed with its configuration files left, ...)
    or '' when dpkg does not know it}, from ``dpkg-query --show --showformat='${db:Status-Abbrev}${Package}\\n'``."""
    states = dict.fromkeys(packages, '')
    for line in output.splitlines():
        if len(line) > 3 and line[2] == ' ':
            states[line[3:].split(':', 1)[0]] = line[:2]
    return states


def on_disk(state):
    """Whether a package in dpkg ``state`` still has files on the host (installed, or removed with its
    configuration files left, or half done): dpkg's second letter is not C(n) (not installed)."""
    return len(state) == 2 and state[1] != 'n'


def expand(patterns):
    """The paths that exist (symbolic links too) among ``patterns``; a pattern with ``*`` or ``?`` is a glob."""
    found = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in '*?[') else [pattern]
        found.extend(path for path in matches if os.path.lexists(path) and path not in found)
    return found


def read_text(path, limit=READ_LIMIT):
    """The start of a regular file as text ('' for anything else or an unreadable file)."""
    try:
        if not os.path.isfile(path) or os.path.islink(path):
            return ''
        with open(path, 'rb') as handle:
            return handle.read(limit).decode('utf-8', 'replace')
    except OSError:
        return ''


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def file_stat(path, limit=READ_LIMIT):
    """What the roles compare before they write ``path`` (without following a link): its type (V(file),
    V(directory), V(link) or V(other)), owner, group, mode (C(0640)) and, for a regular file up to ``limit``
    bytes, the SHA-1 of its content (the checksum Ansible's template and copy modules compare), else None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    kind = ('file' if stat_module.S_ISREG(info.st_mode) else 'directory' if stat_module.S_ISDIR(info.st_mode)
            else 'link' if stat_module.S_ISLNK(info.st_mode) else 'other')
    checksum = None
    if kind == 'file' and info.st_size <= limit:
        try:
            with open(path, 'rb') as handle:
                checksum = hashlib.sha1(handle.read()).hexdigest()
        except OSError:
            checksum = None
    return {'type': kind, 'owner': _name(pwd.getpwuid, info.st_uid), 'group': _name(grp.getgrgid, info.st_gid),
            'uid': info.st_uid, 'gid': info.st_gid, 'mode': '%04o' % stat_module.S_IMODE(info.st_mode),
            'checksum': checksum, 'realpath': os.path.realpath(path)}


def file_matches(stats, path, content=None, owner=None, group=None, mode=None, kind='file'):
    """Whether ``stats`` (ntp_host_info's RV(stat), read before this run changed anything) shows ``path`` as
    ``kind`` with that owner, group and mode and, for a file with ``content`` given, that content (its SHA-1):
    a write of it would change nothing, so the roles skip the task and its round trips. Anything unknown is
    a mismatch (the task runs)."""
    found = (stats or {}).get(path)
    if not found or found.get('type') != kind:
        return False
    wanted = {'owner': owner, 'group': group, 'mode': None if mode is None else '%04o' % int(str(mode), 8)}
    if any(value is not None and found.get(key) != value for key, value in wanted.items()):
        return False
    if content is not None:
        data = content.encode('utf-8') if isinstance(content, str) else content
        return found.get('checksum') == hashlib.sha1(data).hexdigest()
    return True


def is_ours(text, markers=MARKERS):
    return any(marker in text for marker in markers)


def keysdir(text):
    """The keys directory an ntp.conf names (its last ``keysdir`` line), or None."""
    found = KEYSDIR_RE.findall(text)
    return (found[-1].rstrip('/') or '/') if found else None


def ntp_keys(directory):
    """The Autokey files (``ntpkey_*``: keys, certificates, parameters and their links) in a keys directory."""
    return sorted(glob.glob(os.path.join(glob.escape(directory), 'ntpkey_*'))) if directory else []


def masked(path):
    """Whether ``path`` is a unit masked the systemd way (a symbolic link to /dev/null)."""
    try:
        return os.path.islink(path) and os.readlink(path) == '/dev/null'
    except OSError:
        return False


def systemd_show(output):
    """The properties of ``systemctl show -p ...`` as a dict."""
    return dict(line.split('=', 1) for line in output.splitlines() if '=' in line)


UNIT_PROPERTIES = ['-p', 'Id', '-p', 'LoadState', '-p', 'ActiveState']


def systemd_units(output, units):
    """[{unit, id, load, active}] from ``systemctl show -p Id -p LoadState -p ActiveState <units>``, which prints one
    block per unit, in order, separated by empty lines. ``id`` is the unit's real name (an alias shows the unit it
    points to); a unit systemd does not know is ``not-found``."""
    blocks = [systemd_show(block) for block in re.split(r'\n\s*\n', output.strip()) if block.strip()]
    result = []
    for index, unit in enumerate(units):
        block = blocks[index] if index < len(blocks) else {}
        result.append({'unit': unit, 'id': block.get('Id') or unit, 'load': block.get('LoadState') or 'not-found',
                       'active': block.get('ActiveState') or 'inactive'})
    return result


def unresolved(names, resolve=socket.getaddrinfo):
    """The entries of ``names`` this host cannot resolve to an address (as ``getent ahosts``: the system's
    resolver, any address family)."""
    missing = []
    for name in names:
        try:
            if not resolve(name, None):
                missing.append(name)
        except (OSError, UnicodeError):
            missing.append(name)
    return missing


def started_at(properties, realtime, monotonic):
    """When the unit's main process started, in the realtime clock (seconds since the epoch), or None when it
    does not run. systemd records the start in its monotonic clock (microseconds); ``realtime`` and
    ``monotonic`` are both clocks read at one moment, which converts it without the second-sized rounding of
    its realtime timestamps."""
    try:
        pid = int(properties.get('MainPID') or 0)
        start = int(properties.get('ExecMainStartTimestampMonotonic') or 0)
    except ValueError:
        return None
    if properties.get('ActiveState') != 'active' or pid <= 0 or start <= 0:
        return None
    return start / 1e6 + (realtime - monotonic)


def stale(paths, start):
    """The paths (files or directories) whose last change is newer than ``start``: the daemon runs an older
    version of them. A directory changes when a file in it is added, removed or replaced (the key files are
    replaced by renames)."""
    if start is None:
        return []
    newer = []
    for path in paths:
        try:
            if os.stat(path).st_mtime > start:
                newer.append(path)
        except OSError:
            continue
    return newer


# --- what the roles write per daemon (the filters ntp_daemon_files and ntp_leftovers) ---------------------------

def unit_path(service):
    return '/etc/systemd/system/%s.service' % service


def layout(daemon):
    """The paths the roles write for one daemon, by what they are for; ``daemon`` is its entry of the platform
    data (roles/ntp_common/vars/platform_defaults.yml). Lists may hold shell patterns."""
    unit = unit_path(daemon['service'])
    return {
        'config': daemon['conf_path'],
        'keys': daemon.get('keys_file'),
        'nts_server': [path for path in (daemon.get('nts_key'), daemon.get('nts_cert')) if path]
        + list(daemon.get('nts_server_state') or []),
        'nts_ca': daemon.get('nts_ca'),
        'nts_upstream_ca': daemon.get('nts_upstream_ca'),
        'nts_client': list(daemon.get('nts_client_state') or []),
        'dropin': unit + '.d/timesec-ntp.conf' if daemon.get('exec_start') else None,
        'mask': unit,
        'apparmor': (daemon.get('apparmor') or {}).get('local'),
        'defaults': daemon.get('defaults_file'),
    }


def probe_paths(daemons):
    """Every path ntp_host_info should look at for ``daemons`` ({name: platform data}): what the roles write,
    and the copies of the user's originals."""
    paths = []
    for daemon in daemons.values():
        parts = layout(daemon)
        for key in ('config', 'keys'):
            if parts[key]:
                paths += [parts[key], parts[key] + ORIGINAL_SUFFIX]
        paths += parts['nts_server'] + parts['nts_client']
        paths += [parts[key] for key in ('nts_ca', 'nts_upstream_ca', 'dropin', 'mask', 'apparmor') if parts[key]]
    return list(dict.fromkeys(paths))


def read_paths(daemon, keysdir=None):
    """What ``daemon`` reads when it starts (the files of the roles that it reads, its systemd drop-in, its
    defaults file and an Autokey keys directory), for ntp_host_info's stale check."""
    parts = layout(daemon)
    paths = [parts['config'], parts['keys'], parts['nts_ca'], parts['nts_upstream_ca'], parts['dropin'],
             parts['defaults'], keysdir] + [path for path in parts['nts_server'] if not any(c in path for c in '*?[')]
    # the NTS cookie keys are the daemon's own (it writes them while it runs)
    paths = [path for path in paths if path and path not in (daemon.get('nts_server_state') or [])]
    return list(dict.fromkeys(paths))


NTS_SOURCE_RE = re.compile(r'(^|\s)nts(?=\s|\Z)')


def leftovers(host, daemons, use, auth=None, conf=None):
    """What the roles wrote for a daemon or a scheme the host no longer uses.

    ``host`` is ntp_host_info's result from before the run changed anything, ``daemons`` the platform data of
    every daemon ({name: entry}), ``use`` the daemon the host runs now, ``auth`` and ``conf`` its scheme and the
    configuration the roles wrote for it (ntp_common_conf). Only a daemon whose configuration the roles wrote
    (it holds their marker) counts: the files at its paths are theirs then, and the keys files only when they
    hold the marker too; the copies of the user's originals (*.orig-timesec) are never touched.

    Returns ``purge`` (the packages of the daemons left, where their data says purge), ``remove`` (files and
    links), ``dirs`` (directories to remove when they are empty), ``services`` (the units of the daemons left,
    whose enablement links - wants links, aliases - point nowhere once the package is gone) and ``units``
    (whether systemd must reload its units). Without ``conf`` the daemon in use is left out (nothing of it is
    known to be unused)."""
    files = list(host.get('files') or [])
    ours = set(host.get('ours') or [])
    masked = set(host.get('masked') or [])
    states = host.get('packages') or {}
    keysdirs = host.get('keysdirs') or {}
    purge, remove, dirs, services = [], [], [], []
    units = False

    def present(patterns):
        patterns = [pattern for pattern in patterns if pattern]
        return [path for path in files if any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)]

    for name, daemon in daemons.items():
        parts = layout(daemon)
        if parts['config'] not in ours:
            continue
        keys_dir = keysdirs.get(parts['config'])
        own_keys = [parts['keys']] if parts['keys'] in ours else []
        if name == use:
            if conf is None:
                continue
            lines = list(conf.get('servers') or []) + list(conf.get('upstream_lines') or [])
            named = set(' '.join(lines).split()) | {conf.get('nts_ca')}
            if not (auth == 'symmetric' or conf.get('trusted_keys')):
                remove += own_keys
            if not conf.get('nts_server'):
                remove += present(parts['nts_server'])
            remove += present([parts[key] for key in ('nts_ca', 'nts_upstream_ca') if parts[key] not in named])
            if not any(NTS_SOURCE_RE.search(line) for line in lines):
                remove += present(parts['nts_client'])
            keep = (conf.get('keysdir') or '').rstrip('/') if auth == 'autokey' else None
            if keys_dir and keys_dir['path'] != keep:
                remove += keys_dir['files']
                dirs.append(keys_dir['path'])
            continue
        package = daemon['packages'][0]
        services.append(daemon['service'])
        units = True
        if daemon.get('purge') and on_disk(states.get(package, '')):
            purge.append(package)
        else:
            remove.append(parts['config'])
        remove += own_keys + present(parts['nts_server'] + parts['nts_client'] + [parts['nts_ca'], parts['nts_upstream_ca']])
        if keys_dir:
            remove += keys_dir['files']
            dirs.append(keys_dir['path'])
        if parts['dropin'] and parts['dropin'] in files:
            remove.append(parts['dropin'])
            dirs.append(os.path.dirname(parts['dropin']))
        if parts['mask'] in masked:
            remove.append(parts['mask'])
    return {'purge': purge, 'remove': list(dict.fromkeys(remove)), 'dirs': list(dict.fromkeys(dirs)),
            'services': services, 'units': units}
