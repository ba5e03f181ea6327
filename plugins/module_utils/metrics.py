# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus metrics of a running ntpd (classic or ntpsec) or chronyd, for node exporter's textfile
collector (issue 29, README "Metrics").

The roles install this file, ``status.py``, ``ntpq.py`` and ``chronyc.py`` unchanged on the host
(``/usr/local/lib/timesec-ntp/ansible_collections/timesec/ntp/plugins/module_utils/``) next to a
small script that calls ``main()`` from a systemd timer, as an unprivileged user. The daemon is
read with the same readers as ``timesec.ntp.ntp_status_info`` (``ntpq.collect``,
``chronyc.collect``, ``status.summarize``), so the metrics and ``playbooks/status.yml`` agree.

Pure functions (``render``, ``association_scheme``, ``is_orphan``, ``certificate_expiry``...) plus
``collect`` (the daemon through a transport callable, like ``ntpq.collect``), ``write_atomically``
(a temporary file in the same directory, then a rename) and ``main`` (the command line). Standard
library only: the host needs nothing but Python 3.

Labels are bounded: ``daemon`` (ntp, ntpsec, chrony), ``server`` (an association's address),
``scheme`` (autokey, nts, symmetric, none) and ``subject`` (a certificate's subject name). Error
messages go to stderr (the journal), never into a label. No key or password is read.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import calendar
import os
import re
import subprocess
import sys
import tempfile
import time

from ansible_collections.timesec.ntp.plugins.module_utils import chronyc, ntpq, status

PREFIX = 'timesec_ntp_'
DAEMONS = ('ntp', 'ntpsec', 'chrony')
SCHEMES = ('autokey', 'nts', 'symmetric')
# The file node exporter's textfile collector reads (through a link in its directory).
FILE_NAME = 'timesec_ntp.prom'
LEAP_INDICATOR = {'none': 0, 'add_sec': 1, 'del_sec': 2, 'alarm': 3}
# The reference of a daemon running on its own clock: ntpd and ntpsec as orphans report refid
# 127.0.0.1 (LOOPBACKADR; "LOOP" or "ORPH" at stratum 1 or in other builds), chrony's local
# reference (``local stratum N orphan``) reports reference ID 7F7F0101 (chronyc.system_info: 127.127.1.1).
OWN_CLOCK_REFIDS = {'ntp': ('127.0.0.1', 'LOOP', 'ORPH'), 'ntpsec': ('127.0.0.1', 'LOOP', 'ORPH'),
                    'chrony': ('127.127.1.1',)}

# name: (type, help). The order of this table is the order of the file.
METRICS = {
    'collector_success': ('gauge', '1 when the last run read the daemon (and the NTS certificate), 0 when it failed.'),
    'collector_duration_seconds': ('gauge', 'How long the last run took.'),
    'collector_last_run_timestamp_seconds': ('gauge', 'When the last run ended (Unix time).'),
    'synchronized': ('gauge', '1 when the daemon is synchronised to a system peer (status.summarize).'),
    'authenticated': ('gauge', '1 when the system peer is authenticated (Autokey with VRFY, NTS cookies, or a symmetric key).'),
    'identity_verified': ('gauge', '1 when the system peer is authenticated by Autokey with an identity scheme (IFF, GQ, MV).'),
    'stratum': ('gauge', 'The daemon\'s stratum (16: unsynchronised).'),
    'offset_seconds': ('gauge', 'The daemon\'s offset to its time source (ntpq rv 0 offset; chronyc tracking last offset).'),
    'leap_indicator': ('gauge', 'Leap indicator: 0 none, 1 insert a second, 2 delete a second, 3 alarm (unsynchronised).'),
    'orphan': ('gauge', '1 when the daemon runs on its own clock: an orphan (ntpd, ntpsec) or chrony\'s local reference.'),
    'peer_reachable': ('gauge', '1 when the association\'s reach register is not zero.'),
    'peer_selected': ('gauge', '1 for the system peer (ntpq sys.peer; chronyc state *).'),
    'peer_authenticated': ('gauge', '1 when the association\'s last packet passed authentication by its scheme.'),
    'peer_identity_verified': ('gauge', 'Autokey: 1 when the server\'s identity is verified (IFF, GQ or MV).'),
    'peer_nts_cookies': ('gauge', 'NTS: the cookies the client holds for the server (-1 on ntpsec before the first NTS-KE).'),
    'peer_key_id': ('gauge', 'Symmetric keys: the ID of the key the association uses (the ID, never the key).'),
    'peer_offset_seconds': ('gauge', 'The association\'s offset.'),
    'peer_stratum': ('gauge', 'The stratum the server reports.'),
    'certificate_expiry_timestamp_seconds': ('gauge', 'When a certificate expires (Unix time): Autokey certificates ntpd '
                                                      'holds, an NTS server\'s own certificate.'),
    'certificate_renewal_window_seconds': ('gauge', 'The roles renew a certificate that expires within this many seconds '
                                                    '(*_cert_renew_before_days).'),
}


class MetricsError(Exception):
    """The collector could not read something it needs (no certificate file, unparsable certificate)."""


# -- what the metrics say ---------------------------------------------------------------------------

def association_scheme(assoc, configured='none'):
    """The scheme label of one association: ``nts``, ``symmetric`` or ``autokey`` by its own evidence
    (NTS state, a symmetric key ID, Autokey flags); ``configured`` (the host's scheme) when the daemon
    checks authentication for it (auth ``ok`` or ``bad``) but shows nothing more yet (an Autokey
    association before its first exchange); ``none`` for an unauthenticated association. The label
    therefore stays the same while authentication breaks, so that a rule sees the value change."""
    if assoc.get('nts'):
        return 'nts'
    if assoc.get('symmetric'):
        return 'symmetric'
    if (assoc.get('flags') or {}).get('value'):
        return 'autokey'
    if assoc.get('auth') in ('ok', 'bad') and configured in SCHEMES:
        return configured
    return 'none'


def is_orphan(system, daemon):
    """Whether the daemon runs on its own clock (orphan, or chrony's local reference): its reference
    is its own clock and its stratum is below 16."""
    stratum = system.get('stratum')
    return (stratum is not None and stratum < 16
            and (system.get('refid') or '') in OWN_CLOCK_REFIDS.get(daemon, OWN_CLOCK_REFIDS['ntp']))


def iso_to_epoch(value):
    """``YYYY-MM-DDThh:mm:ss+00:00`` (ntpq.calendar_to_iso) -> Unix time, or None."""
    match = re.match(r'^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\+00:00|Z)\Z', value or '')
    if not match:
        return None
    return calendar.timegm(tuple(int(part) for part in match.groups()) + (0, 0, 0))


def _seconds(milliseconds):
    return None if milliseconds is None else milliseconds / 1000.0


def _flag(value):
    return 1 if value else 0


def samples(system, associations, daemon, scheme='none'):
    """(name, labels, value) of the daemon's state: the system metrics, then one set per association
    (the first of several with the same server and scheme), then the Autokey certificates ntpd holds."""
    summary = status.summarize(system, associations)
    base = {'daemon': daemon}
    out = [
        ('synchronized', base, _flag(summary['synchronized'])),
        ('authenticated', base, _flag(summary['authenticated'])),
        ('identity_verified', base, _flag(summary['identity_verified'])),
        ('stratum', base, system.get('stratum')),
        ('offset_seconds', base, _seconds(system.get('offset'))),
        ('leap_indicator', base, LEAP_INDICATOR.get(system.get('leap'))),
        ('orphan', base, _flag(is_orphan(system, daemon))),
    ]
    seen = set()
    for assoc in associations:
        labels = dict(base, server=assoc.get('address') or assoc.get('name') or 'unknown',
                      scheme=association_scheme(assoc, scheme))
        key = (labels['server'], labels['scheme'])
        if key in seen:
            continue
        seen.add(key)
        out += [
            ('peer_reachable', labels, _flag(assoc.get('reach') == 'yes')),
            ('peer_selected', labels, _flag(assoc.get('condition') == 'sys.peer')),
            ('peer_authenticated', labels, _flag(status.authenticated_by(assoc))),
            ('peer_offset_seconds', labels, _seconds(assoc.get('offset'))),
            ('peer_stratum', labels, assoc.get('stratum')),
        ]
        if labels['scheme'] == 'autokey':
            out.append(('peer_identity_verified', labels, _flag(status.identity_verified(assoc))))
        if labels['scheme'] == 'nts':
            out.append(('peer_nts_cookies', labels, assoc.get('cookies')))
        if labels['scheme'] == 'symmetric':
            out.append(('peer_key_id', labels, assoc.get('key_id')))
    expiry = {}
    for cert in system.get('certificates') or []:
        when = iso_to_epoch(cert.get('expires'))
        if when is not None and cert.get('subject'):
            expiry[cert['subject']] = min(when, expiry.get(cert['subject'], when))
    out += [('certificate_expiry_timestamp_seconds', dict(base, scheme='autokey', subject=subject), when)
            for subject, when in sorted(expiry.items())]
    return out


# -- a certificate's expiry, from its PEM file (DER walked by hand: the standard library has no X.509) --

_PEM_RE = re.compile(r'-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----', re.S)
_CN_OID = b'\x55\x04\x03'  # 2.5.4.3 commonName


def _der(data, pos):
    """(tag, content, next position) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise MetricsError('truncated DER')
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7f
        if count == 0 or count > 4 or pos + count > len(data):
            raise MetricsError('unsupported DER length')
        length = int.from_bytes(data[pos:pos + count], 'big')
        pos += count
    if pos + length > len(data):
        raise MetricsError('truncated DER')
    return tag, data[pos:pos + length], pos + length


def _children(content):
    pos, items = 0, []
    while pos < len(content):
        tag, value, pos = _der(content, pos)
        items.append((tag, value))
    return items


def _der_time(tag, value):
    text = value.decode('ascii')
    if tag == 0x17:  # UTCTime YYMMDDhhmmssZ
        match = re.match(r'^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z\Z', text)
        if match:
            year = int(match.group(1))
            parts = [year + (1900 if year >= 50 else 2000)] + [int(g) for g in match.groups()[1:]]
            return calendar.timegm(tuple(parts) + (0, 0, 0))
    elif tag == 0x18:  # GeneralizedTime YYYYMMDDhhmmssZ
        match = re.match(r'^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z\Z', text)
        if match:
            return calendar.timegm(tuple(int(g) for g in match.groups()) + (0, 0, 0))
    raise MetricsError('unsupported certificate time %r' % text)


def _common_name(name):
    for _set_tag, rdn in _children(name):
        for _seq_tag, attribute in _children(rdn):
            parts = _children(attribute)
            if len(parts) == 2 and parts[0] == (0x06, _CN_OID):
                return parts[1][1].decode('utf-8', 'replace')
    return None


def certificate_expiry(pem_text):
    """(subject common name or None, notAfter as Unix time) of the first certificate of a PEM text
    (a chain's leaf)."""
    match = _PEM_RE.search(pem_text or '')
    if not match:
        raise MetricsError('no PEM certificate found')
    try:
        der = base64.b64decode(''.join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise MetricsError('the PEM certificate is not valid base64') from None
    _tag, certificate, _end = _der(der, 0)
    tbs = _children(_children(certificate)[0][1])
    if tbs and tbs[0][0] == 0xa0:  # [0] version
        tbs = tbs[1:]
    # serialNumber, signature, issuer, validity, subject
    if len(tbs) < 5 or tbs[3][0] != 0x30:
        raise MetricsError('unexpected certificate structure')
    validity = _children(tbs[3][1])
    if len(validity) != 2:
        raise MetricsError('unexpected certificate validity')
    return _common_name(tbs[4][1]), _der_time(*validity[1])


# -- the text node exporter reads ---------------------------------------------------------------------

def _escape(value):
    return str(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def render(all_samples):
    """The Prometheus text exposition of (name, labels, value) samples: HELP and TYPE once per
    metric, in METRICS order; samples without a value are left out."""
    by_name = {}
    for name, labels, value in all_samples:
        if name not in METRICS:
            raise ValueError('unknown metric %s' % name)
        if value is not None:
            by_name.setdefault(name, []).append((labels, value))
    lines = []
    for name, (kind, text) in METRICS.items():
        if name not in by_name:
            continue
        lines += ['# HELP %s%s %s' % (PREFIX, name, text), '# TYPE %s%s %s' % (PREFIX, name, kind)]
        for labels, value in by_name[name]:
            label_text = ','.join('%s="%s"' % (key, _escape(labels[key])) for key in sorted(labels))
            lines.append('%s%s{%s} %s' % (PREFIX, name, label_text, _number(value)))
    return '\n'.join(lines) + '\n'


# -- one run -------------------------------------------------------------------------------------------

def subprocess_runner(daemon, timeout):
    """The transport for ntpq.collect / chronyc.collect on this host: ntpq or chronyc with the argv of
    ntpq.command_argv / chronyc.command_argv (as ntp_status_info runs them), LC_ALL=C."""
    program = 'chronyc' if daemon == 'chrony' else 'ntpq'

    def run(command):
        argv = (chronyc.command_argv(program, command, None, timeout) if daemon == 'chrony'
                else ntpq.command_argv(program, command, 'localhost', timeout))
        env = dict(os.environ, LC_ALL='C')
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False,
                                  timeout=4 * timeout + 5, universal_newlines=True, errors='replace')
        except FileNotFoundError:
            return 127, '', '%s not found' % program
        except subprocess.TimeoutExpired:
            return 124, '', '%s did not finish within %d s' % (program, 4 * timeout + 5)
        return proc.returncode, proc.stdout, proc.stderr
    return run


def collect(run, daemon, scheme='none', nts_cert=None, renew_before_days=None, read=None, warn=None):
    """The daemon's samples through ``run`` (see subprocess_runner), an NTS server's certificate
    (``nts_cert``, a PEM file read with ``read(path)``) and the renewal window. Returns
    (samples, errors): a failing part adds its message to errors and leaves its samples out."""
    out, errors = [], []
    reader = chronyc.collect if daemon == 'chrony' else ntpq.collect
    try:
        system, associations = reader(run, 'localhost', warn)
        out += samples(system, associations, daemon, scheme)
    except status.StatusError as exc:  # what both readers raise
        errors.append(str(exc))
    if nts_cert:
        try:
            subject, when = certificate_expiry((read or _read_text)(nts_cert))
            out.append(('certificate_expiry_timestamp_seconds',
                        {'daemon': daemon, 'scheme': 'nts', 'subject': subject or os.path.basename(nts_cert)}, when))
        except (OSError, MetricsError, UnicodeDecodeError) as exc:
            errors.append('cannot read the NTS certificate %s: %s' % (nts_cert, exc))
    if renew_before_days is not None:
        out.append(('certificate_renewal_window_seconds', {'daemon': daemon}, renew_before_days * 86400))
    return out, errors


def _read_text(path):
    with open(path, encoding='ascii') as handle:
        return handle.read()


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename, so a
    reader sees the old or the new file, never a part (mode 0644)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='timesec_ntp_metrics', description=(
        'Read the NTP daemon with the timesec.ntp readers and write its metrics for the node exporter textfile collector.'))
    parser.add_argument('--daemon', required=True, choices=DAEMONS)
    parser.add_argument('--scheme', default='none', choices=SCHEMES + ('none',),
                        help='the scheme the host is configured with (labels associations that show no more yet)')
    parser.add_argument('--output', required=True, help='the .prom file to write (atomically)')
    parser.add_argument('--nts-cert', help="an NTS server's certificate (chain) file: its expiry")
    parser.add_argument('--renew-before-days', type=int, help='the renewal window of the certificates, in days')
    parser.add_argument('--timeout', type=int, default=2, help='seconds per ntpq/chronyc reply (default 2)')
    return parser.parse_args(argv)


def main(argv=None, run=None, clock=time.time, monotonic=time.monotonic, read=None):
    """One collector run: read, render, write. Exits 0 when the file was written (a failed read is
    reported as timesec_ntp_collector_success 0, its message on stderr), 1 when it could not be."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    start = monotonic()
    found, errors = collect(run or subprocess_runner(args.daemon, args.timeout), args.daemon, args.scheme,
                            args.nts_cert, args.renew_before_days, read=read,
                            warn=lambda message: sys.stderr.write('warning: %s\n' % message))
    for message in errors:
        sys.stderr.write('error: %s\n' % message)
    base = {'daemon': args.daemon}
    found += [('collector_success', base, 0 if errors else 1),
              ('collector_duration_seconds', base, round(monotonic() - start, 6)),
              ('collector_last_run_timestamp_seconds', base, round(clock(), 3))]
    try:
        write_atomically(args.output, render(found))
    except OSError as exc:
        sys.stderr.write('error: cannot write %s: %s\n' % (args.output, exc))
        return 1
    return 0
