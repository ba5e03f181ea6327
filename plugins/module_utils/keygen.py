# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running ntp-keygen and placing its output: the process side of the ntp_keygen module.

Kept apart from autokey.py (file formats) so that the unit tests can assert the
exact argument list and environment without touching the file system.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from ansible_collections.timesec.ntp.plugins.module_utils.autokey import (
    AutokeyError,
    LINK_PREFIX,
    parse_filename,
)

KEYGEN = 'ntp-keygen'
# ntp-keygen (AutoOpts) reads presets from $HOME/.ntprc, ./.ntprc and NTP_KEYGEN_*
# variables. The password travels as NTP_KEYGEN_PASSWORD so that it is never on a
# command line (ps shows those); HOME and the working directory are a fresh empty
# directory so that no stray .ntprc adds options.
PASSWORD_ENV = 'NTP_KEYGEN_PASSWORD'


def keygen_command(binary, host=False, trusted=False, iff=False, hostname=None, group=None,
                   lifetime=None, digest=None, modulus=None, identity_modulus=None):
    """The exact ntp-keygen argument list for one run (order is fixed for the unit tests)."""
    args = [binary]
    if host:
        args.append('-H')
    if trusted:
        args.append('-T')
    if iff:
        args.append('-I')
    if hostname:
        args.extend(['-s', hostname])
    if group:
        args.extend(['-i', group])
    if lifetime is not None:
        args.extend(['-l', str(lifetime)])
    if digest:
        args.extend(['-c', digest])
    if modulus is not None:
        args.extend(['-m', str(modulus)])
    if iff and identity_modulus is not None:
        args.extend(['-b', str(keygen_identity_bits(identity_modulus))])
    return args


def keygen_identity_bits(bits):
    """The ``-b`` value that makes an IFF prime of ``bits`` bits. OpenSSL rounds DSA's p up to a multiple of 64 bits
    and, asked for 2048 bits, wants a 256-bit q that ntp-keygen's 160-bit seed cannot give ("seed_len is less than
    the length of q": ntp-keygen 4.2.8p15 then exits 0 without a key); asked for 2047 it makes the same 2048-bit
    prime with a 160-bit q (measured on Debian 11, docs/autokey.md)."""
    return bits - 1 if bits == 2048 else bits


def keygen_environment(password, workdir):
    return {'LC_ALL': 'C', 'LANG': 'C', 'HOME': workdir, PASSWORD_ENV: password}


def find_keygen(module):
    """Path of a classic ntp-keygen that knows IFF, or fail with the fix."""
    binary = module.get_bin_path(KEYGEN)
    if binary is None:
        raise AutokeyError(
            'ntp-keygen was not found: install the classic ntp package (ntp 4.2.8, '
            'Debian 11; Ubuntu 22.04 untested); ntpsec and chrony have no Autokey')
    return binary


def check_keygen_supports_iff(module, binary):
    """ntpsec ships a keygen without Autokey; its help has no iffkey option."""
    rc, out, err = module.run_command([binary, '--help'], environ_update={'LC_ALL': 'C'})
    if 'iffkey' not in (out + err):
        raise AutokeyError(
            '%s does not support the IFF scheme (-I): this looks like ntpsec; '
            'Autokey needs classic ntp 4.2.8' % binary)


def make_workdir(keysdir):
    """A private temporary directory inside keysdir, so that os.rename is atomic."""
    return tempfile.mkdtemp(prefix='.ntp-keygen-', dir=keysdir)


def seed_file(workdir, src, link):
    """Copy an existing key file into workdir and link it under the name ntp-keygen reads."""
    name = os.path.basename(src)
    shutil.copy2(src, os.path.join(workdir, name))
    os.symlink(name, os.path.join(workdir, link))


def collect_output(workdir):
    """Map kind-of-file -> (file name, filestamp) for what ntp-keygen wrote in workdir.

    Returns a dict keyed by 'host', 'cert', 'iffkey' (newest file of each kind).
    """
    found = {}
    for name in os.listdir(workdir):
        path = os.path.join(workdir, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        parsed = parse_filename(name)
        if parsed is None:
            continue
        kind = parsed['kind']
        if kind.endswith('host'):
            role = 'host'
        elif kind.endswith('cert'):
            role = 'cert'
        elif kind == 'IFFkey':
            role = 'iffkey'
        else:
            continue
        if role not in found or parsed['fstamp'] > found[role][1]:
            found[role] = (name, parsed['fstamp'])
    return found


def replace_link(keysdir, link, target):
    """Point keysdir/link at target atomically (a new link renamed over the old)."""
    path = os.path.join(keysdir, link)
    if os.path.islink(path) and os.readlink(path) == target:
        return False
    tmp = path + '.tmp-link'
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.rename(tmp, path)
    return True


def link_names(role, hostname, group=None):
    """Links ntpd may open for a file of ``role``: by host name and, for IFF, by group."""
    names = [LINK_PREFIX[role] + hostname]
    if role == 'iffkey' and group and group != hostname:
        names.append(LINK_PREFIX[role] + group)
    return names


def referenced_targets(keysdir):
    refs = set()
    for name in os.listdir(keysdir):
        path = os.path.join(keysdir, name)
        if name.startswith('ntpkey_') and os.path.islink(path):
            refs.add(os.path.basename(os.readlink(path)))
    return refs


def remove_unreferenced(keysdir, candidates):
    """Remove superseded key files that no link in keysdir names any more."""
    refs = referenced_targets(keysdir)
    removed = []
    for name in candidates:
        path = os.path.join(keysdir, name)
        if name and name not in refs and os.path.isfile(path) and not os.path.islink(path):
            os.unlink(path)
            removed.append(name)
    return removed
