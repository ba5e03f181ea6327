# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side store of NTP symmetric keys (docs/symmetric.md).

One JSON file, ``keys.json``, in a directory of mode 0700, itself mode 0600:
``{"keys": {NAME: {"id": ID, "type": DIGEST, "value": HEX[, "next": {"id", "type", "value"}]}}}``.
A key name is a client's inventory name (one key per client) or the name of a shared group key.
IDs are allocated once (the lowest free one from 1) and never change while the key exists, so
ntp.conf's ``key N`` and ``trustedkey`` lines stay the same across runs. Values come from
``secrets.token_hex``.

Rotation without an outage (``plan``): a run that rotates a name adds ``next``, a new key under a
new ID; servers then hold and trust both, clients use the *active* key (``next`` when there is
one). The next run that does not rotate that name promotes ``next`` (the old key is gone).

Used by the module ntp_symmetric_key (which makes keys, under a lock) and the lookup
ntp_symmetric_key (which only reads them). ``keys_file_lines`` writes the lines of a keys file
in the syntax that classic ntpd 4.2.8 and ntpsec 1.2 share (``ID TYPE HEXKEY``) or in chrony's
(``ID TYPE HEX:HEXKEY``, CMAC named by its cipher).
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import tempfile

try:
    import fcntl
except ImportError:  # pragma: no cover - POSIX only
    fcntl = None

STORE_FILE = 'keys.json'
LOCK_FILE = '.lock'

# Digests both classic ntpd 4.2.8p15 and ntpsec 1.2.2 accept in a keys file and that
# interoperate in both directions (measured, docs/symmetric.md), strongest first, with the key
# length (bytes) the collection makes for each: CMAC takes exactly 16, the HMAC-less legacy
# MAC (digest(key || packet)) gets the digest's own length.
DIGESTS = {
    'AES128CMAC': 16,
    'SHA512': 64,
    'SHA256': 32,
    'SHA1': 20,
}
DEFAULT_DIGEST = 'AES128CMAC'

# Keys file syntaxes: the daemon's name of each digest, and the prefix of a hex key. chrony 4
# calls CMAC by its cipher (AES128) and reads a key without the HEX: prefix as ASCII.
SYNTAXES = {
    'ntp': {'names': {}, 'prefix': ''},
    'chrony': {'names': {'AES128CMAC': 'AES128'}, 'prefix': 'HEX:'},
}

# ntpd's key IDs for symmetric keys: 1..65535 (above are Autokey session keys).
MAX_KEY_ID = 65535
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
HEX_RE = re.compile(r'^[0-9a-f]+$')


class StoreError(Exception):
    """The store cannot be read or written, or holds something that is not a key."""


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise StoreError('key name %r: use 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit'
                         % (name,))
    return name


def check_digest(digest):
    if digest not in DIGESTS:
        raise StoreError('digest %r: choose one of %s' % (digest, ', '.join(DIGESTS)))
    return digest


def _check_entry(name, entry):
    ok = (isinstance(entry, dict) and isinstance(entry.get('id'), int) and 1 <= entry['id'] <= MAX_KEY_ID
          and entry.get('type') in DIGESTS and isinstance(entry.get('value'), str)
          and HEX_RE.match(entry['value']) and len(entry['value']) == 2 * DIGESTS[entry['type']])
    if not ok:
        raise StoreError('key %s in the store is not {id: 1..%d, type: one of %s, value: hex of the digest\'s '
                         'length}' % (name, MAX_KEY_ID, ', '.join(DIGESTS)))


def check_extra(entry):
    """A key given from outside the store (an upstream's): ID 1..MAX_KEY_ID, a known digest, a hex value of even
    length (AES128CMAC: 16 bytes; the SHA digests 20 to 64). The error never shows the value."""
    value = entry.get('value')
    low, high = (32, 32) if entry.get('type') == 'AES128CMAC' else (40, 128)
    ok = (isinstance(entry.get('id'), int) and not isinstance(entry.get('id'), bool) and 1 <= entry['id'] <= MAX_KEY_ID
          and entry.get('type') in DIGESTS and isinstance(value, str) and HEX_RE.match(value.lower())
          and low <= len(value) <= high and len(value) % 2 == 0)
    if not ok:
        raise StoreError('a key with ID %r is not {id: 1..%d, type: one of %s, value: hex} (its value is not shown)'
                         % (entry.get('id'), MAX_KEY_ID, ', '.join(DIGESTS)))
    return entry


def generations(entry):
    """The keys of one name: the current one, then ``next`` while it is rotated."""
    return [entry] + ([entry['next']] if entry.get('next') else [])


def active(entry):
    """The key clients use: ``next`` during a rotation, else the current one."""
    return entry.get('next') or entry


def parse_store(text):
    """The text of keys.json -> {name: {id, type, value[, next]}}; checks every entry and unique IDs."""
    try:
        data = json.loads(text) if text.strip() else {'keys': {}}
    except ValueError as exc:
        raise StoreError('the key store is not JSON: %s' % exc) from exc
    keys = data.get('keys') if isinstance(data, dict) else None
    if not isinstance(keys, dict):
        raise StoreError('the key store holds no "keys" mapping')
    seen = {}
    for name, entry in keys.items():
        check_name(name)
        _check_entry(name, entry)
        if entry.get('next') is not None:
            _check_entry(name + ' (next)', entry['next'])
        for key in generations(entry):
            if key['id'] in seen:
                raise StoreError('keys %s and %s in the store share the ID %d' % (seen[key['id']], name, key['id']))
            seen[key['id']] = name
    return keys


def dump_store(keys):
    return json.dumps({'keys': keys}, indent=2, sort_keys=True) + '\n'


def new_value(digest, token_hex=secrets.token_hex):
    return token_hex(DIGESTS[check_digest(digest)])


def free_id(keys, reserved=()):
    used = {key['id'] for entry in keys.values() for key in generations(entry)} | set(reserved)
    for key_id in range(1, MAX_KEY_ID + 1):
        if key_id not in used:
            return key_id
    raise StoreError('the key store is full (%d keys)' % MAX_KEY_ID)


def plan(keys, names, digest, rotate=(), token_hex=secrets.token_hex, reserved=()):
    """Which keys to make, rotate or finish rotating. Returns (new_keys, created, rotated, finished):
    a copy of ``keys`` in which every name in ``names`` has a key. A missing name gets one (``digest``,
    the lowest free ID). A name in ``rotate`` gets a ``next`` key (``digest``, a new ID) unless it
    has one already (a repeated rotating run changes nothing). A name with a ``next`` key that is not
    in ``rotate`` is finished: ``next`` becomes its key and the old one is gone. Existing keys keep
    their digest (a new ``digest`` applies to new and rotated keys); other names are left alone.
    ``reserved``: key IDs used elsewhere on the hosts (an upstream's key): new keys never take them, and a
    key of ``names`` that already has one is an error."""
    check_digest(digest)
    result = {name: dict(entry) for name, entry in keys.items()}
    created, rotated, finished = [], [], []
    for name in names:
        check_name(name)
        entry = result.get(name)
        if entry is None:
            result[name] = {'id': free_id(result, reserved), 'type': digest, 'value': new_value(digest, token_hex)}
            created.append(name)
        elif name in rotate:
            if not entry.get('next'):
                entry['next'] = {'id': free_id(result, reserved), 'type': digest, 'value': new_value(digest, token_hex)}
                rotated.append(name)
        elif entry.get('next'):
            result[name] = dict(entry['next'])
            finished.append(name)
    clashes = sorted((key['id'], name) for name in names for key in generations(result[name]) if key['id'] in set(reserved))
    if clashes:
        raise StoreError('%s: the ID of an upstream server\'s key (ntp_server_upstream_servers key_id); give that '
                         'upstream key another key_id' % ', '.join('key %s has ID %d' % (name, key_id)
                                                                  for key_id, name in clashes))
    return result, created, rotated, finished


def public_view(keys, names=None):
    """{name: {id, type}} of the active keys, without the values, for results, logs and exports."""
    return {name: {'id': active(entry)['id'], 'type': active(entry)['type']}
            for name, entry in keys.items() if names is None or name in names}


def held_ids(keys, names):
    """The IDs a server holding ``names`` trusts: every generation of each, sorted."""
    return sorted(key['id'] for name in names if name in keys for key in generations(keys[name]))


def store_path(directory):
    return os.path.join(directory, STORE_FILE)


def read_store(directory):
    """The keys in ``directory`` ({} when there is no store yet)."""
    try:
        with open(store_path(directory), 'r') as handle:
            return parse_store(handle.read())
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return {}
        raise StoreError('cannot read the key store %s: %s' % (store_path(directory), exc)) from exc


def write_store(directory, keys):
    """Write keys.json atomically, 0600 from its first byte (temp file in the same directory)."""
    fd, tmp = tempfile.mkstemp(prefix='.keys-', dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(dump_store(keys))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, store_path(directory))
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Locked(object):
    """An exclusive lock on the store directory (its .lock file): clients and servers run in
    parallel forks and may each make keys."""

    def __init__(self, directory):
        self.path = os.path.join(directory, LOCK_FILE)
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        return False


def keys_file_lines(entries, syntax='ntp'):
    """Lines of a keys file, sorted by ID: ``syntax`` ``ntp`` for classic ntp 4.2.8 and ntpsec 1.2
    (``ID TYPE KEY``, a key longer than 20 characters being hex), ``chrony`` for chrony 4
    (``ID TYPE HEX:KEY``)."""
    if syntax not in SYNTAXES:
        raise StoreError('keys file syntax %r: choose one of %s' % (syntax, ', '.join(SYNTAXES)))
    names, prefix = SYNTAXES[syntax]['names'], SYNTAXES[syntax]['prefix']
    return ['%d %s %s%s' % (entry['id'], names.get(entry['type'], entry['type']), prefix, entry['value'])
            for entry in sorted(entries, key=lambda entry: entry['id'])]
