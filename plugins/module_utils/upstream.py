# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's upstream time sources (ntp_server_upstream_servers) as data: each entry is a host string
(plain NTP) or a mapping (host, pool, auth none|nts|symmetric, nts_ca, key_id, key, digest, prefer,
iburst, minpoll, maxpoll). normalize() checks every entry and returns complete mappings; check() adds
what the daemon and the require-authentication rule allow; line() writes the daemon's source line.

Errors name the entry (``ntp_server_upstream_servers[N]``) and never contain a key value.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.timesec.ntp.plugins.module_utils import symmetric

VARIABLE = 'ntp_server_upstream_servers'
AUTHS = ('none', 'nts', 'symmetric')
FIELDS = ('host', 'pool', 'auth', 'nts_ca', 'key_id', 'key', 'digest', 'prefer', 'iburst', 'minpoll', 'maxpoll')
# A DNS name: labels of letters, digits and '-', not starting or ending with '-', 253 characters at most.
LABEL_RE = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?')
# The polling exponents ntpd 4.2.8 and ntpsec take (chrony takes a wider range).
POLL_RANGE = (3, 17)
# chrony without its upstreams (issue 25, docs/chrony.md): the frequency error its free-running clock is assumed
# to gain (maxclockerror, ppm: ntpd's PHI, where chrony's own default is 1), the room left for the upstreams'
# own root distance (s), chrony's default polling exponents, and the bounds of a distance given by the user.
CLOCK_ERROR_PPM = 15
DISTANCE_MARGIN = 0.05
CHRONY_POLL = (6, 10)
DISTANCE_RANGE = (0.001, 1.0)


class UpstreamError(ValueError):
    pass


def _where(index, host):
    # the host only once it is one (a DNS name or an IP literal): an arbitrary value is never shown
    return '%s[%d] (%s)' % (VARIABLE, index, json.dumps(host) if is_host(host) else 'its host not shown')


def is_host(value):
    """A DNS name or an IP literal, nothing else (no whitespace, newline, '#', port or option)."""
    if not isinstance(value, str) or not value or len(value) > 253:
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    name = value[:-1] if value.endswith('.') else value
    return bool(name) and all(LABEL_RE.fullmatch(label) for label in name.split('.'))


def is_ipv6(value):
    try:
        return ipaddress.ip_address(value).version == 6
    except ValueError:
        return False


def _bool(index, host, entry, field, default):
    value = entry.get(field, default)
    if not isinstance(value, bool):
        raise UpstreamError('%s: %s must be true or false (the value given is not shown)' % (_where(index, host), field))
    return value


def _poll(index, host, entry, field):
    value = entry.get(field)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not POLL_RANGE[0] <= value <= POLL_RANGE[1]:
        raise UpstreamError('%s: %s must be a whole number from %d to %d (log2 seconds)'
                            % (_where(index, host), field, POLL_RANGE[0], POLL_RANGE[1]))
    return value


def normalize_entry(index, entry):
    """One entry as a complete mapping; raises UpstreamError naming the entry."""
    if isinstance(entry, str):
        entry = {'host': entry}
    if not isinstance(entry, dict):
        raise UpstreamError('%s[%d] must be a host name or a mapping with host, auth, ...' % (VARIABLE, index))
    host = entry.get('host')
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise UpstreamError('%s: unknown key%s %s; the keys are %s'
                            % (_where(index, host), 's' if len(unknown) > 1 else '', ', '.join(map(str, unknown)),
                               ', '.join(FIELDS)))
    if not is_host(host):
        raise UpstreamError('%s: host must be a DNS name or an IP address: letters, digits, "-" and "." (or an IPv4/IPv6 '
                            'literal), with no whitespace, newline, "#" or options; put options in the mapping\'s keys'
                            % _where(index, host))
    auth = entry.get('auth', 'none')
    if auth not in AUTHS:
        raise UpstreamError('%s: auth must be one of %s' % (_where(index, host), ', '.join(AUTHS)))
    result = {'host': host, 'auth': auth,
              'pool': _bool(index, host, entry, 'pool', False),
              'prefer': _bool(index, host, entry, 'prefer', False),
              'iburst': _bool(index, host, entry, 'iburst', True),
              'minpoll': _poll(index, host, entry, 'minpoll'),
              'maxpoll': _poll(index, host, entry, 'maxpoll'),
              'nts_ca': entry.get('nts_ca') or '', 'key_id': None, 'key': None, 'digest': None}
    if result['minpoll'] is not None and result['maxpoll'] is not None and result['minpoll'] > result['maxpoll']:
        raise UpstreamError('%s: minpoll (%d) is above maxpoll (%d)'
                            % (_where(index, host), result['minpoll'], result['maxpoll']))
    if not isinstance(result['nts_ca'], str):
        raise UpstreamError('%s: nts_ca must be PEM text or the path of a PEM file on the controller' % _where(index, host))
    if result['nts_ca'] and auth != 'nts':
        raise UpstreamError('%s: nts_ca is for auth nts only' % _where(index, host))
    secret_fields = [field for field in ('key_id', 'key', 'digest') if entry.get(field) is not None]
    if auth != 'symmetric':
        if secret_fields:
            raise UpstreamError('%s: %s %s for auth symmetric only'
                                % (_where(index, host), ' and '.join(secret_fields), 'is' if len(secret_fields) == 1 else 'are'))
        return result
    if result['pool']:
        raise UpstreamError('%s: a pool has many servers, which cannot share one symmetric key: use auth nts or none, '
                            'or list the servers one by one' % _where(index, host))
    key_id = entry.get('key_id')
    if isinstance(key_id, str) and key_id.strip().isdigit():
        key_id = int(key_id)
    if not isinstance(key_id, int) or isinstance(key_id, bool) or not 1 <= key_id <= symmetric.MAX_KEY_ID:
        raise UpstreamError('%s: auth symmetric needs key_id, the key\'s ID at the upstream (1 to %d)'
                            % (_where(index, host), symmetric.MAX_KEY_ID))
    digest = entry.get('digest') or symmetric.DEFAULT_DIGEST
    if digest not in symmetric.DIGESTS:
        raise UpstreamError('%s: digest must be one of %s' % (_where(index, host), ', '.join(symmetric.DIGESTS)))
    key = entry.get('key')
    try:
        symmetric.check_extra({'id': key_id, 'type': digest, 'value': key})
    except symmetric.StoreError:
        # never the value itself: it is a secret
        wanted = '32 hex digits for AES128CMAC' if digest == 'AES128CMAC' else '40 to 128 hex digits for %s' % digest
        raise UpstreamError('%s: auth symmetric needs key, the shared key as hex (%s); the key given is not (its '
                            'value is not shown)' % (_where(index, host), wanted)) from None
    result.update(key_id=key_id, key=key.lower(), digest=digest)
    return result


def normalize(entries):
    """Every entry of ntp_server_upstream_servers as a complete mapping; raises UpstreamError."""
    if entries is None:
        return []
    if not isinstance(entries, (list, tuple)):
        raise UpstreamError('%s must be a list of host names or mappings' % VARIABLE)
    result = [normalize_entry(index, entry) for index, entry in enumerate(entries)]
    seen = {}
    for index, entry in enumerate(result):
        if entry['host'] in seen:
            raise UpstreamError('%s: the same host as %s[%d]' % (_where(index, entry['host']), VARIABLE, seen[entry['host']]))
        seen[entry['host']] = index
    ids = {}
    for index, entry in enumerate(result):
        if entry['key_id'] is not None and entry['key_id'] in ids and ids[entry['key_id']][1] != entry['key']:
            raise UpstreamError('%s: key_id %d is also the ID of another key (%s[%d]): one ID, one key'
                                % (_where(index, entry['host']), entry['key_id'], VARIABLE, ids[entry['key_id']][0]))
        if entry['key_id'] is not None:
            ids.setdefault(entry['key_id'], (index, entry['key']))
    return result


def require_auth_default(entries):
    """ntp_server_upstream_require_auth when not set: true as soon as one upstream is authenticated."""
    return any(entry['auth'] != 'none' for entry in entries)


def check(entries, daemon, require_auth, digests=None, reserved_ids=()):
    """What the daemon and the require-authentication rule refuse; raises UpstreamError naming the entry.

    daemon: ntp (classic ntpd: symmetric keys only), ntpsec or chrony. digests: the symmetric digests the
    roles give the daemon. reserved_ids: key IDs the host already uses for its own clients.
    """
    for index, entry in enumerate(entries):
        where = _where(index, entry['host'])
        if entry['auth'] == 'nts' and daemon == 'ntp':
            raise UpstreamError('%s: auth nts, but classic ntpd (ntp_server_daemon ntp) has no NTS. Use auth symmetric '
                                '(a key shared with the upstream) or choose ntp_server_daemon ntpsec or chrony'
                                % where)
        if entry['auth'] == 'nts' and daemon == 'ntpsec' and is_ipv6(entry['host']):
            raise UpstreamError('%s: ntpsec 1.2 reads the first ":" of an IPv6 literal as a port and never reaches '
                                'NTS-KE: use a name that resolves to the address (the name the certificate carries)'
                                % where)
        if entry['auth'] == 'symmetric' and digests and entry['digest'] not in digests:
            raise UpstreamError('%s: digest %s, which the roles do not give %s: choose one of %s'
                                % (where, entry['digest'], daemon, ', '.join(digests)))
        if entry['key_id'] is not None and entry['key_id'] in set(reserved_ids):
            raise UpstreamError('%s: key_id %d is the ID of one of this server\'s client keys: choose another key_id '
                                '(the ID the upstream gave its key)' % (where, entry['key_id']))
    authenticated = [entry for entry in entries if entry['auth'] != 'none']
    if require_auth and entries and not authenticated:
        raise UpstreamError('ntp_server_upstream_require_auth is true, but no entry of %s is authenticated: give them '
                            'auth nts or symmetric, or set it to false' % VARIABLE)
    if require_auth and daemon in ('ntp', 'ntpsec'):
        for index, entry in enumerate(entries):
            if entry['auth'] == 'none':
                raise UpstreamError('%s: a plain (unauthenticated) upstream next to authenticated ones, which %s could '
                                    'select: give it auth nts or symmetric, remove it, or set '
                                    'ntp_server_upstream_require_auth to false'
                                    % (_where(index, entry['host']), 'ntpsec' if daemon == 'ntpsec' else 'ntpd'))
    return entries


def line(entry, ca_file=None):
    """The source line (``server`` or ``pool``) of one entry, options in the order ntpd 4.2.8 and ntpsec 1.2
    accept (chrony takes any order): iburst, prefer, key, minpoll, maxpoll, nts, ca."""
    words = ['pool' if entry['pool'] else 'server', entry['host']]
    if entry['iburst']:
        words.append('iburst')
    if entry['prefer']:
        words.append('prefer')
    if entry['auth'] == 'symmetric':
        words += ['key', str(entry['key_id'])]
    for field in ('minpoll', 'maxpoll'):
        if entry[field] is not None:
            words += [field, str(entry[field])]
    if entry['auth'] == 'nts':
        words.append('nts')
        if ca_file and entry['nts_ca']:
            words += ['ca', ca_file]
    return ' '.join(words)


def keys(entries):
    """The symmetric keys of the upstreams, as keys-file entries ({id, type, value}), one per ID."""
    found = {}
    for entry in entries:
        if entry['auth'] == 'symmetric':
            found.setdefault(entry['key_id'], {'id': entry['key_id'], 'type': entry['digest'], 'value': entry['key']})
    return [found[key_id] for key_id in sorted(found)]


def holdover(entries, distance=None):
    """chrony's fallback to its local clock once the upstreams are gone: ``{clock_error, distance}``.

    chrony keeps its upstream's stratum + 1 while its root distance grows by ``clock_error`` (ppm) each second,
    and serves its own clock at the orphan stratum once the root distance reaches ``distance``. While
    synchronised, the root distance grows by up to clock_error x 2^maxpoll between two updates, on top of the
    upstream's own: ``distance`` is twice that growth at the largest maxpoll of ``entries`` (a lost reply) plus
    DISTANCE_MARGIN, so that a synchronised server never turns local, and one without its upstreams does so
    about two polls plus DISTANCE_MARGIN / clock_error (90 min at chrony's default maxpoll 10) after the last
    reply. ``distance`` (ntp_server_upstream_orphan_distance) replaces the computed value."""
    if distance is not None:
        try:
            value = float(distance)
        except (TypeError, ValueError):
            value = None
        if isinstance(distance, bool) or value is None or not DISTANCE_RANGE[0] <= value <= DISTANCE_RANGE[1]:
            raise UpstreamError('ntp_server_upstream_orphan_distance must be a number of seconds from %s to %s, got %r: '
                                'leave it unset (null) for the value computed from the upstreams\' maxpoll'
                                % (DISTANCE_RANGE[0], DISTANCE_RANGE[1], distance))
        return {'clock_error': CLOCK_ERROR_PPM, 'distance': value}
    maxpoll = max([max(entry['minpoll'] or CHRONY_POLL[0], entry['maxpoll'] or CHRONY_POLL[1]) for entry in entries]
                  or [CHRONY_POLL[1]])
    return {'clock_error': CLOCK_ERROR_PPM,
            'distance': round(DISTANCE_MARGIN + 2 * CLOCK_ERROR_PPM * 1e-6 * 2 ** maxpoll, 4)}
