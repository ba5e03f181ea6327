# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_upstreams
short_description: Check a server's upstream time sources and write their source lines or keys
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Takes C(ntp_server_upstream_servers) (role C(timesec.ntp.ntp_server)), whose entries are host strings
    (plain NTP) or mappings, checks every entry and returns what O(output) asks for.
  - An entry's C(host) must be a DNS name or an IP literal, with no whitespace, newline, C(#) or options.
    Mapping keys are C(host), C(pool) (a pool name), C(auth) (V(none), V(nts) or V(symmetric)), C(nts_ca)
    (NTS, the CA to trust, PEM text or a controller path; empty is the system's CA store), C(key_id),
    C(key) (hex) and C(digest) (symmetric keys), C(prefer), C(iburst) (default true), C(minpoll), C(maxpoll).
  - With O(daemon), also fails on what that daemon refuses (NTS on classic ntpd; a digest outside
    O(digests); a key ID in O(reserved_ids); with O(require_auth) a plain upstream next to authenticated ones on
    ntpd and ntpsec).
  - Errors name the entry as C(ntp_server_upstream_servers[N]) and never show a key.
positional: _input
options:
  _input:
    description: The entries of C(ntp_server_upstream_servers).
    type: list
    elements: raw
    required: true
  output:
    description:
      - V(entries) the checked entries as complete mappings (they hold the keys - use them only in C(no_log) tasks
        or feed them to this filter again); V(lines) the daemon's source lines (C(server ...) or C(pool ...), no key
        value); V(keys) the symmetric keys as keys-file entries (C(id), C(type), C(value)); V(holdover) what chrony
        needs to fall back to its own clock at the orphan stratum once the upstreams are gone, a mapping of
        C(clock_error) (C(maxclockerror), ppm) and C(distance) (seconds, for C(local ... distance)) - twice the root
        dispersion chrony adds between two updates at the largest C(maxpoll) of the entries (chrony's default 10
        when unset), plus 0.05 s for the upstreams' own root distance.
    type: str
    choices: [entries, lines, keys, holdover]
    default: entries
  daemon:
    description: The daemon (V(ntp), V(ntpsec) or V(chrony)) whose limits apply; none for the entries' own checks only.
    type: str
    choices: [ntp, ntpsec, chrony]
  require_auth:
    description: C(ntp_server_upstream_require_auth); omitted means true when any entry is authenticated.
    type: bool
  digests:
    description: The symmetric digests the daemon is given.
    type: list
    elements: str
  reserved_ids:
    description: Symmetric key IDs the host already uses (its clients' keys).
    type: list
    elements: int
  ca_file:
    description: For O(output=lines), the file on the host holding the upstreams' CAs, named as C(ca) on ntpsec's NTS lines
      that have C(nts_ca).
    type: str
  distance:
    description: For O(output=holdover), C(ntp_server_upstream_orphan_distance) - seconds from 0.001 to 1 instead of
      the computed distance; none for the computed one.
    type: float
    version_added: 0.4.0
"""

EXAMPLES = r"""
- name: Source lines for ntpsec
  ansible.builtin.debug:
    msg: >-
      {{ ['10.0.0.1', {'host': 'nts.example.net', 'auth': 'nts', 'maxpoll': 8}]
         | timesec.ntp.ntp_upstreams(output='lines', daemon='ntpsec', require_auth=false) }}
  # -> ['server 10.0.0.1 iburst', 'server nts.example.net iburst maxpoll 8 nts']

- name: When chrony turns to its own clock without its upstreams
  ansible.builtin.debug:
    msg: "{{ [{'host': 'nts.example.net', 'auth': 'nts', 'maxpoll': 8}] | timesec.ntp.ntp_upstreams(output='holdover') }}"
  # -> {'clock_error': 15, 'distance': 0.0577}
"""

RETURN = r"""
_value:
  description: The checked entries, the source lines or the keys (a list), or the holdover settings (a mapping) (O(output)).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.module_utils import upstream


def ntp_upstreams(entries, output='entries', daemon=None, require_auth=None, digests=None, reserved_ids=None,
                  ca_file=None, distance=None):
    if output not in ('entries', 'lines', 'keys', 'holdover'):
        raise AnsibleFilterError('ntp_upstreams: output must be entries, lines, keys or holdover, not %r' % (output,))
    try:
        checked = upstream.normalize(entries)
        if daemon is not None:
            if require_auth is None:
                require_auth = upstream.require_auth_default(checked)
            upstream.check(checked, daemon, bool(require_auth), digests=digests, reserved_ids=reserved_ids or ())
        if output == 'holdover':
            return upstream.holdover(checked, distance)
    except upstream.UpstreamError as exc:
        raise AnsibleFilterError(str(exc)) from None
    if output == 'lines':
        return [upstream.line(entry, ca_file) for entry in checked]
    if output == 'keys':
        return upstream.keys(checked)
    return checked


class FilterModule(object):
    def filters(self):
        return {'ntp_upstreams': ntp_upstreams}
