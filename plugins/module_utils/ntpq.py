# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse what ``ntpq`` prints, for timesec.ntp.ntp_status_info.

Two ntpq flavours: classic ntp 4.2.8 (Autokey) and ntpsec 1.2 (NTS). Pure functions on
text, no I/O: ``parse_associations`` (``ntpq -c as``), ``parse_readvars`` (``ntpq -c "rv
..."``), ``decode_flags`` (the Autokey ``flags`` word), ``parse_cert_list`` (the
``cert``/``until`` pairs of ``rv 0``), ``system_info`` and ``association_info`` (typed views
of one readvar output) and ``collect``. ``ntpq_error`` turns ntpq's diagnostics into a
message: ntpq exits 0 even when no daemon answered, so its output is the only evidence. One of
the two readers (``chronyc.py`` is the other); what they share (the summary, the errors) is in
``status.py``.

ntpsec's ntpq differs (tests/unit/fixtures/ntpsec): its ``timeout`` command prints
``primary timeout N ms`` on stdout, "no associations" reads ``server=localhost No
association IDs returned`` (also in front of ``rv 0`` output), the peer variables carry
``ntscookies`` and ``srchost``, the system status says ``sync_unspec`` even when synchronised,
and ntpsec 1.2.2 prints uninitialised bytes inside the ``filtdelay``/``filtoffset``/
``filtdisp`` values (written ``name =``), which ``clean_output`` drops.
"""

from __future__ import annotations

import re

from ansible_collections.timesec.ntp.plugins.module_utils.status import StatusError, StatusParseError, excerpt

# Autokey flags word of the system (rv 0) and of a peer (rv <assid>): ntp_crypto.h
# CRYPTO_FLAG_*. The upper 16 bits carry the OpenSSL NID of the certificate signature.
FLAG_BITS = (
    ('ENAB', 0x0001),   # crypto enabled
    ('TAI', 0x0002),    # leapseconds table
    ('PRIV', 0x0010),   # PC (private certificate) identity scheme
    ('IFF', 0x0020),    # IFF identity scheme
    ('GQ', 0x0040),     # GQ identity scheme
    ('MV', 0x0080),     # MV identity scheme
    ('CERT', 0x0100),   # public key verified
    ('VRFY', 0x0200),   # identity verified
    ('PROV', 0x0400),   # signature verified
    ('COOK', 0x0800),   # cookie verified
    ('AUTO', 0x1000),   # autokey values verified
    ('SIGN', 0x2000),   # certificate signed
    ('LEAP', 0x4000),   # leapsecond values verified
)

# Flags of a certificate in the system cert list (ntp_crypto.h CERT_*).
CERT_FLAG_BITS = (
    ('TRUST', 0x01),
    ('SIGN', 0x02),
    ('VALID', 0x04),
    ('PRIV', 0x08),
    ('ERROR', 0x80),
)

# OpenSSL NIDs (long names, as ntpd prints them in "signature=") of the digests and
# signature schemes ntp-keygen -c offers.
NID_NAMES = {
    4: 'md5',
    8: 'md5WithRSAEncryption',
    64: 'sha1',
    65: 'sha1WithRSAEncryption',
    113: 'dsaWithSHA1',
    117: 'ripemd160',
    119: 'ripemd160WithRSA',
    668: 'sha256WithRSAEncryption',
    669: 'sha384WithRSAEncryption',
    670: 'sha512WithRSAEncryption',
    671: 'sha224WithRSAEncryption',
    672: 'sha256',
    673: 'sha384',
    674: 'sha512',
    675: 'sha224',
    802: 'dsa_with_SHA224',
    803: 'dsa_with_SHA256',
}

# Identity scheme bits, strongest first, and the name reported for them.
IDENTITY_SCHEMES = (('IFF', 'iff'), ('GQ', 'gq'), ('MV', 'mv'), ('PRIV', 'pc'))

# The two leap indicator bits as "leap=" prints them, named like ntpq's status words.
LEAP_CODES = {'00': 'none', '01': 'add_sec', '10': 'del_sec', '11': 'alarm'}

# "No association ID's returned" (ntp 4.2.8), "server=localhost No association IDs returned" (ntpsec).
NO_ASSOCIATIONS_RE = re.compile(r"^\s*(?:server=\S+\s+)?No association ID'?s returned\s*\Z")
# ntpsec's ntpq echoes its "timeout" command on stdout.
TIMEOUT_ECHO_RE = re.compile(r'^\s*primary timeout \d+ ms\s*\Z')
# ntpsec's filter arrays ("filtdelay =<tab-separated numbers>,": a space before "="), whose first
# bytes may be garbage. Classic ntpq prints "filtdelay=" and is left alone.
FILTER_ARRAY_RE = re.compile(r'(?:^|,)\s*filt(?:delay|offset|disp)\s+=.*?(?=,\s*[A-Za-z_][\w.-]*=|,?\s*\Z)',
                             re.DOTALL)

AS_HEADER_RE = re.compile(r'^\s*ind\s+assid\s+status\s+conf\s+reach\s+auth\s+condition\s+last_event\s+cnt\s*\Z')
# last_event is blank until the association has had an event worth naming.
AS_LINE_RE = re.compile(
    r'^\s*(?P<ind>\d+)\s+(?P<assid>\d+)\s+(?P<status>[0-9a-fA-F]{4})\s+(?P<conf>\S+)\s+(?P<reach>\S+)'
    r'\s+(?P<auth>\S+)\s+(?P<condition>\S+)(?:\s+(?P<last_event>\S+))?\s+(?P<cnt>\d+)\s*\Z')
NAME = r'[A-Za-z_][\w.-]*'
VAR_RE = re.compile(r'\s*(?P<name>' + NAME + r')(?P<eq>=?)')
# An unquoted value ends at the comma (or, in the "associd=0 status=..." header, the
# space) before the next "name=", or at the end; status words ("leap_none, sync_ntp, ...")
# and "flash=" values hold commas themselves.
VALUE_END_RE = re.compile(r'(?:,\s*|\s+)(?=' + NAME + r'=)|,?\s*\Z')
SEPARATOR_RE = re.compile(r'\s*,\s*|\s*\Z|\s+(?=' + NAME + r'=)')
STATUS_COUNT_RE = re.compile(r'^(\d+) events?\Z')
CERT_RE = re.compile(r'^(?P<subject>\S+)\s+(?P<issuer>\S+)\s+(?P<flags>0[xX][0-9a-fA-F]+|\d+)\Z')
CALENDAR_RE = re.compile(r'^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})\Z')


class NtpqError(StatusError):
    """ntpq did not deliver the data (no daemon, no answer, unknown host...)."""


class NtpqParseError(NtpqError, StatusParseError):
    """ntpq answered with text this module does not understand."""


def _lines(text):
    return [line for line in (text or '').splitlines() if line.strip()]


def clean_output(text):
    """ntpq stdout without what ntpsec adds: the ``primary timeout N ms`` echo and the
    "No association IDs returned" line (returned as the second value, True when seen)."""
    kept, none_seen = [], False
    for line in (text or '').splitlines():
        if TIMEOUT_ECHO_RE.match(line):
            continue
        if NO_ASSOCIATIONS_RE.match(line):
            none_seen = True
            continue
        kept.append(line)
    return '\n'.join(kept), none_seen


def ntpq_error(rc, stdout, stderr, host='localhost'):
    """Return a message when an ntpq run failed, else None.

    ntpq 4.2.8 exits 0 when nothing answers; the diagnostics are on stderr:
    ``ntpq: read: Connection refused`` (no daemon on a local address),
    ``<host>: timed out, nothing received`` / ``***Request timed out`` (no answer,
    e.g. ntpd down on another host or ``restrict ... noquery``), ``Name or service not
    known`` (resolver), ``***<server error>`` for refused requests. ntpsec's ntpq says
    ``***Socket error; probably ntpd is not running`` and ``Unknown associd.`` instead.
    """
    err = (stderr or '').strip()
    if 'Connection refused' in err or 'Socket error' in err:
        return 'ntpd is not running on %s: ntpq got "%s" (%s)' % (
            host, 'Connection refused' if 'Connection refused' in err else 'Socket error', excerpt(err))
    if 'timed out' in err:
        return ('ntpd on %s did not answer: ntpq timed out (ntpd down, or its restrict lines deny '
                'queries from this host with noquery): %s' % (host, excerpt(err)))
    if 'not known' in err or "can't find host" in err or 'nodename nor servname' in err:
        return 'ntpq cannot resolve host %s: %s' % (host, excerpt(err.splitlines()[0]))
    if rc != 0:
        return 'ntpq failed with exit code %s: %s' % (rc, excerpt(err or stdout))
    errors = [line.strip() for line in err.splitlines() if line.strip().startswith('***')]
    if errors:
        return 'ntpq reported an error from ntpd on %s: %s' % (host, '; '.join(e.lstrip('*') for e in errors))
    if is_unknown_association(err):
        return 'ntpq reported an error from ntpd on %s: %s' % (host, excerpt(err))
    return None


def is_unknown_association(stderr):
    """Whether ntpq said that ntpd no longer knows an association ID (it may drop one between
    the ``as`` and the ``rv`` query): ``Association ID N unknown to server`` (4.2.8),
    ``Unknown associd.`` (ntpsec)."""
    err = stderr or ''
    return 'unknown to server' in err or 'Unknown associd' in err


def parse_associations(text):
    """``ntpq -c as`` output -> list of dicts, one per association, in ntpq's order.

    Keys: ind, assid (int), status (4 hex digits), conf, reach, auth, condition,
    last_event (None when blank) and event_count (int).
    """
    text, none_seen = clean_output(text)
    lines = _lines(text)
    if none_seen and not lines:
        return []
    if not lines or not AS_HEADER_RE.match(lines[0]):
        raise NtpqParseError('unexpected ntpq associations output: %r' % excerpt(text))
    result = []
    for line in lines[1:]:
        if set(line.strip()) == {'='}:
            continue
        match = AS_LINE_RE.match(line)
        if not match:
            raise NtpqParseError('unexpected line in ntpq associations output: %r' % line)
        row = match.groupdict()
        result.append({
            'ind': int(row['ind']),
            'assid': int(row['assid']),
            'status': row['status'].lower(),
            'conf': row['conf'],
            'reach': row['reach'],
            'auth': row['auth'],
            'condition': row['condition'],
            'last_event': row['last_event'],
            'event_count': int(row['cnt']),
        })
    return result


def parse_readvars(text):
    """``ntpq -c "rv ..."`` output -> list of (name, value) pairs, in order, repeats kept.

    ntpq wraps its ``name=value`` list at variable boundaries, so lines are joined first.
    Quoted values lose their quotes and keep commas and spaces; unquoted values run to the
    comma before the next ``name=`` (so ``status=0614 leap_none, sync_ntp, 1 event,
    freq_mode,`` gives ``status`` = ``0614 leap_none, sync_ntp, 1 event, freq_mode``).
    A name printed without ``=`` gets the value None. The repeated ``cert``/``until``
    pairs of the system variables stay separate: see ``parse_cert_list``. ntpsec's additions
    (see ``clean_output``) and its filter arrays (``filtdelay =``, ``filtoffset =``,
    ``filtdisp =``) are dropped.
    """
    joined = ' '.join(line.strip() for line in _lines(clean_output(text)[0]))
    joined = FILTER_ARRAY_RE.sub('', joined).strip()
    pairs = []
    pos = 0
    while pos < len(joined):
        match = VAR_RE.match(joined, pos)
        if not match:
            raise NtpqParseError('unexpected ntpq variables output at %r' % excerpt(joined[pos:], 60))
        name = match.group('name')
        pos = match.end()
        if not match.group('eq'):
            value = None
        elif joined.startswith('"', pos):
            close = joined.find('"', pos + 1)
            if close < 0:
                raise NtpqParseError('unterminated quoted value of %s in ntpq output' % name)
            value = joined[pos + 1:close]
            pos = close + 1
        else:
            end = VALUE_END_RE.search(joined, pos)
            value = joined[pos:end.start()].strip()
            pos = end.start()
        rest = SEPARATOR_RE.match(joined, pos)
        if not rest:
            raise NtpqParseError('unexpected text after %s= in ntpq output: %r' % (name, excerpt(joined[pos:], 60)))
        pos = rest.end()
        pairs.append((name, value))
    return pairs


def variables(pairs):
    """First value of each name (what a dict of the readvar output should hold)."""
    result = {}
    for name, value in pairs:
        result.setdefault(name, value)
    return result


def parse_status(value):
    """The ``status=`` value of a readvar output -> dict.

    ``0614 leap_none, sync_ntp, 1 event, freq_mode`` gives code ``0614``, the status
    words, leap ``none``, sync ``ntp``, event_count 1 and last_event ``freq_mode``.
    Peer status words (``conf, authenb, auth, reach, sel_sys.peer, ...``) give
    ``selection`` (``sys.peer``) instead of leap and sync.
    """
    if not value:
        return {'code': None, 'words': [], 'leap': None, 'sync': None, 'selection': None,
                'event_count': None, 'last_event': None}
    code, _sep, text = value.partition(' ')
    words = [word.strip() for word in text.split(',') if word.strip()]
    status = {'code': code.lower(), 'words': words, 'leap': None, 'sync': None, 'selection': None,
              'event_count': None, 'last_event': None}
    for index, word in enumerate(words):
        count = STATUS_COUNT_RE.match(word)
        if count:
            status['event_count'] = int(count.group(1))
            status['last_event'] = words[index + 1] if index + 1 < len(words) else None
        elif word.startswith('leap_') and status['leap'] is None:
            status['leap'] = word[len('leap_'):]
        elif word.startswith('sync_') and status['sync'] is None:
            status['sync'] = word[len('sync_'):]
        elif word.startswith('sel_') and status['selection'] is None:
            status['selection'] = word[len('sel_'):]
    return status


def _bits(value, table):
    return [name for name, bit in table if value & bit]


def _to_int(value, base=10):
    if value is None:
        return None
    try:
        return int(str(value).strip(), base)
    except ValueError:
        return None


def _to_float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def decode_flags(value):
    """An Autokey ``flags`` word (``0x29c7f23`` or an int) -> dict.

    ``value`` (int), ``hex``, ``names`` (set bits of the low 16, in bit order), ``nid``
    (upper 16 bits: OpenSSL NID of the certificate signature, None when 0) and
    ``nid_name`` (its OpenSSL long name, None when not one of the common ones).
    Returns None for None.
    """
    if value is None:
        return None
    number = value if isinstance(value, int) else _to_int(value, 0)
    if number is None:
        raise NtpqParseError('flags value %r is not a number' % (value,))
    nid = number >> 16 or None
    return {
        'value': number,
        'hex': '0x%x' % number,
        'names': _bits(number, FLAG_BITS),
        'nid': nid,
        'nid_name': NID_NAMES.get(nid) if nid else None,
    }


def identity_scheme(flags):
    """``iff``, ``gq``, ``mv`` or ``pc`` from the scheme bits of decoded flags; ``tc``
    (trusted certificate, no identity scheme) when Autokey is on without one; ``none``
    without Autokey flags."""
    if not flags or not flags['value']:
        return 'none'
    for bit, name in IDENTITY_SCHEMES:
        if bit in flags['names']:
            return name
    return 'tc'


def calendar_to_iso(value):
    """``YYYYMMDDhhmm`` (ntpd's certificate dates, UTC) -> ``YYYY-MM-DDThh:mm:00+00:00``."""
    match = CALENDAR_RE.match((value or '').strip())
    if not match:
        return None
    return '%s-%s-%sT%s:%s:00+00:00' % match.groups()


def parse_cert_list(pairs):
    """The ``cert``/``until`` (``expire`` before 4.2.8) pairs of the system variables -> list.

    Accepts readvar text or ``parse_readvars`` pairs. Each entry: subject, issuer,
    ``flags`` (``value`` int and ``names``: TRUST, SIGN, VALID, PRIV, ERROR) and
    ``expires`` (ISO 8601, UTC; None when ntpd sent no date).
    """
    if isinstance(pairs, str):
        pairs = parse_readvars(pairs)
    certs = []
    for name, value in pairs:
        if name == 'cert':
            match = CERT_RE.match((value or '').strip())
            if not match:
                raise NtpqParseError('unexpected certificate entry %r in ntpq output' % (value,))
            flags = int(match.group('flags'), 0)
            certs.append({
                'subject': match.group('subject'),
                'issuer': match.group('issuer'),
                'flags': {'value': flags, 'names': _bits(flags, CERT_FLAG_BITS)},
                'expires': None,
            })
        elif name in ('until', 'expire') and certs and certs[-1]['expires'] is None:
            certs[-1]['expires'] = calendar_to_iso(value)
    return certs


def _autokey_fields(var):
    flags = decode_flags(var.get('flags'))
    return {
        'flags': flags,
        'identity': identity_scheme(flags),
        'host': var.get('host', var.get('hostname')),
        'ident': var.get('ident'),
        'signature': var.get('signature'),
    }


def _raw(pairs, skip=()):
    return {name: value for name, value in variables(pairs).items() if name not in skip}


def system_info(pairs):
    """``rv 0`` pairs -> the system state as typed fields, the certificates and the raw variables."""
    if isinstance(pairs, str):
        pairs = parse_readvars(pairs)
    var = variables(pairs)
    if 'status' not in var and 'leap' not in var:
        raise NtpqParseError('ntpq returned no system variables')
    status = parse_status(var.get('status'))
    leap_code = var.get('leap')
    info = {
        'status': status['code'],
        'status_words': status['words'],
        'leap': status['leap'] or LEAP_CODES.get(leap_code),
        'leap_indicator': leap_code,
        'sync': status['sync'],
        'event_count': status['event_count'],
        'last_event': status['last_event'],
        'stratum': _to_int(var.get('stratum')),
        'refid': var.get('refid'),
        'peer': _to_int(var.get('peer')),
        'offset': _to_float(var.get('offset')),
        'sys_jitter': _to_float(var.get('sys_jitter')),
        'rootdelay': _to_float(var.get('rootdelay')),
        'rootdisp': _to_float(var.get('rootdisp')),
        'version': var.get('version'),
        'digest': var.get('digest'),
        'certificates': parse_cert_list(pairs),
        'daemon': daemon_flavour(var.get('version')),
        'variables': _raw(pairs, skip=('cert', 'until', 'expire')),
    }
    info.update(_autokey_fields(var))
    return info


def daemon_flavour(version):
    """``ntpsec`` when the ``version`` variable names ntpsec (``ntpd ntpsec-1.2.2``), else ``ntp``."""
    return 'ntpsec' if 'ntpsec' in (version or '') else 'ntp'


# ntpd's configuration file when its command line names none (classic ntp 4.2.8, ntpsec 1.2).
DEFAULT_CONFIG = {'ntp': '/etc/ntp.conf', 'ntpsec': '/etc/ntpsec/ntp.conf'}


def config_file(argv, daemon='ntp'):
    """The configuration file an ntpd runs with, from its command line (``/proc/<pid>/cmdline``
    split at NUL): the last ``-c FILE``, ``-cFILE`` or ``--configfile[=]FILE`` wins, as in ntpd's
    option parser; without one, the daemon's compiled-in default (DEFAULT_CONFIG)."""
    found = None
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ('-c', '--configfile') and i + 1 < len(args):
            found = args[i + 1]
            i += 2
            continue
        if arg.startswith('--configfile='):
            found = arg[len('--configfile='):]
        elif arg.startswith('-c') and len(arg) > 2:
            found = arg[2:]
        i += 1
    return found or DEFAULT_CONFIG.get(daemon, DEFAULT_CONFIG['ntp'])


def _nts_fields(var, status):
    """NTS state of an ntpsec association: it uses NTS when ntpd reports NTS cookies for it
    (``ntscookies``, -1 before the first NTS-KE succeeded) and authentication is enabled
    without a symmetric key (``authenb``, ``keyid=0``). Classic ntpd has no ``ntscookies``."""
    cookies = _to_int(var.get('ntscookies'))
    nts = cookies is not None and 'authenb' in status['words'] and _to_int(var.get('keyid')) in (None, 0)
    return {'nts': nts, 'cookies': cookies, 'name': var.get('srchost')}


# Symmetric key IDs (ntp.keys); Autokey session key IDs are above them.
MAX_SYMMETRIC_KEY_ID = 65535


def _symmetric_fields(var, status, autokey_flags):
    """Symmetric-key state of an association: the ``keyid`` it sends and checks (None when 0 or absent)
    and whether that is a symmetric key (1..65535, authentication enabled, no Autokey flags; ntpsec
    shows NTS associations with keyid 0). Whether it checked out is the ``auth`` column (ok/bad)."""
    key_id = _to_int(var.get('keyid'))
    symmetric = ('authenb' in status['words'] and key_id is not None and 0 < key_id <= MAX_SYMMETRIC_KEY_ID
                 and not (autokey_flags or {}).get('value'))
    return {'key_id': key_id or None, 'symmetric': symmetric}


def association_info(row, pairs=None):
    """One ``as`` row plus its ``rv <assid>`` pairs (None when ntpd no longer knew it) -> dict."""
    if isinstance(pairs, str):
        pairs = parse_readvars(pairs)
    var = variables(pairs or [])
    status = parse_status(var.get('status'))
    info = dict(row)
    leap_code = var.get('leap')
    info.update({
        'address': var.get('srcadr'),
        'selection': status['selection'],
        'leap': LEAP_CODES.get(leap_code),
        'leap_indicator': leap_code,
        'stratum': _to_int(var.get('stratum')),
        'refid': var.get('refid'),
        'reach_register': var.get('reach'),
        'offset': _to_float(var.get('offset')),
        'delay': _to_float(var.get('delay')),
        'jitter': _to_float(var.get('jitter')),
        'flash': var.get('flash'),
        'variables': _raw(pairs or []),
    })
    info.update(_autokey_fields(var))
    info.update(_nts_fields(var, status))
    info.update(_symmetric_fields(var, status, info['flags']))
    return info


def command_argv(binary, command, host='localhost', timeout=5):
    """The argv of one ntpq query: numeric addresses, ``timeout`` seconds per reply (ntpq's ``timeout``
    command, in ms), the one command ``command``, against ``host``. ntp_status_info and the metrics
    collector (module_utils/metrics.py) run it with LC_ALL=C."""
    return [binary, '-n', '-c', 'timeout %d' % (timeout * 1000), '-c', command, host]


def collect(run, host='localhost', warn=None):
    """Read a running ntpd through ntpq: ``as``, ``rv 0``, then ``rv <assid>`` for each association.

    ``run(command)`` is the transport: it runs ``ntpq`` with the one ntpq command ``command``
    against ``host`` (with ``-n``, and whatever else the caller needs: a timeout, podman exec,
    testinfra) and returns ``(rc, stdout, stderr)``. An association that ntpd drops between the
    queries is kept without variables (``warn(message)`` is told); every other failure raises
    NtpqError with ntpq_error()'s message. Returns ``(system, associations)``; status.summarize() gives
    the summary. Used by ntp_status_info and by the tests and benchmarks that read containers.
    """
    def query(command):
        rc, out, err = run(command)
        return out, err, ntpq_error(rc, out, err, host)

    out, err, error = query('as')
    if error:
        raise NtpqError(error)
    rows = parse_associations(out)
    out, err, error = query('rv 0')
    if error:
        raise NtpqError(error)
    system = system_info(out)
    associations = []
    for row in rows:
        out, err, error = query('rv %d' % row['assid'])
        if error and is_unknown_association(err):
            if warn is not None:
                warn('ntpd dropped association %d before its variables could be read' % row['assid'])
            associations.append(association_info(row, None))
            continue
        if error:
            raise NtpqError(error)
        associations.append(association_info(row, out))
    return system, associations
