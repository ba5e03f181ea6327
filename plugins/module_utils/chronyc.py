# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse what ``chronyc -n -c`` prints, for timesec.ntp.ntp_status_info.

chrony 4.0-4.6 (Debian 11-13), real output in tests/unit/fixtures/chrony. ``-c`` prints one
comma-separated record per line, ``-n`` addresses instead of names. Pure functions on text, no
I/O: ``parse_sources`` (``sources``), ``parse_authdata`` (``authdata``), ``parse_tracking``
(``tracking``), ``system_info`` and ``association_info`` (the same keys ntp_status_info returns
for ntpd, from ``ntpq``), ``chronyc_error`` (chronyc's diagnostics -> a message) and ``collect``
(the three queries through a transport callable, like ``ntpq.collect``). The summary is
``status.summarize``: the associations carry the same ``condition``/``auth``/``nts``/``cookies``
as ntpq's.

How chrony shows NTS (docs/chrony.md): ``authdata`` mode ``NTS`` with a key length (``KLen``)
above 0 once NTS-KE gave keys, and the number of cookies held (``Cook``, 8 normally). A client
whose NTS-KE failed (wrong CA) keeps KLen 0, no cookies, sends no NTP packet, and its source
stays unusable (state ``?``).
"""

from __future__ import annotations

from ansible_collections.timesec.ntp.plugins.module_utils.status import StatusError, StatusParseError, excerpt

# chronyc prints 2^32 - 1 for "never" (LastRx, authdata Last).
NEVER = 4294967295

SOURCE_FIELDS = ('mode', 'state', 'address', 'stratum', 'poll', 'reach', 'last_rx', 'offset',
                 'measured_offset', 'error')
AUTHDATA_FIELDS = ('address', 'mode', 'key_id', 'key_type', 'key_length', 'last', 'attempts', 'naks',
                   'cookies', 'cookie_length')
TRACKING_FIELDS = ('reference_id', 'address', 'stratum', 'ref_time', 'system_time', 'last_offset',
                   'rms_offset', 'frequency', 'residual_frequency', 'skew', 'root_delay',
                   'root_dispersion', 'update_interval', 'leap_status')

SOURCE_MODES = {'^': 'server', '=': 'peer', '#': 'refclock'}
# The state column: chrony's name for it, and the ntpq condition closest to it.
SOURCE_STATES = {
    '*': ('selected', 'sys.peer'),
    '+': ('combined', 'candidate'),
    '-': ('not_combined', 'backup'),
    'x': ('falseticker', 'falsetick'),
    '~': ('too_variable', 'reject'),
    '?': ('unusable', 'reject'),
}
# tracking's "Leap status" -> the leap names ntp_status_info uses (ntpq's status words).
LEAP_STATUS = {
    'Normal': ('none', '00'),
    'Insert second': ('add_sec', '01'),
    'Delete second': ('del_sec', '10'),
    'Not synchronised': ('alarm', '11'),
}
# chronyd's configuration file when its command line names none (Debian's build; upstream and
# Fedora/RHEL use /etc/chrony.conf).
DEFAULT_CONFIG = '/etc/chrony/chrony.conf'
# The queries collect() makes, in order.
COMMANDS = ('sources', 'authdata', 'tracking')


class ChronycError(StatusError):
    """chronyc did not deliver the data (no chronyd, no answer, unknown host...)."""


class ChronycParseError(ChronycError, StatusParseError):
    """chronyc answered with text this module does not understand."""


def _records(text, fields, what):
    records = []
    for line in (text or '').splitlines():
        if not line.strip():
            continue
        values = line.strip().split(',')
        if len(values) != len(fields):
            raise ChronycParseError('unexpected line in chronyc %s output (%d fields, expected %d): %r'
                                    % (what, len(values), len(fields), excerpt(line, 120)))
        records.append(dict(zip(fields, values)))
    return records


def _number(record, name, kind, what):
    value = record[name]
    try:
        return kind(value)
    except ValueError:
        raise ChronycParseError('%s %s=%r in chronyc %s output is not a number' % (what, name, value, what)) from None


def _never(value):
    return None if value == NEVER else value


def _ms(seconds):
    return round(seconds * 1000.0, 6)


def parse_sources(text):
    """``chronyc -n -c sources`` -> list of dicts in chronyc's order.

    Keys: mode (``server``, ``peer``, ``refclock``), state (the state character), state_name
    (``selected``, ``combined``, ``not_combined``, ``falseticker``, ``too_variable``, ``unusable``),
    address, stratum, poll (log2 seconds), reach (octal string), last_rx (seconds since the last
    sample, None for never), offset, measured_offset and error (milliseconds), raw (the fields as printed).
    """
    result = []
    for record in _records(text, SOURCE_FIELDS, 'sources'):
        if record['mode'] not in SOURCE_MODES or record['state'] not in SOURCE_STATES:
            raise ChronycParseError('unknown source mode/state %r/%r in chronyc sources output'
                                    % (record['mode'], record['state']))
        try:
            int(record['reach'], 8)
        except ValueError:
            raise ChronycParseError('sources reach=%r in chronyc sources output is not octal' % record['reach']) from None
        result.append({
            'mode': SOURCE_MODES[record['mode']],
            'state': record['state'],
            'state_name': SOURCE_STATES[record['state']][0],
            'address': record['address'],
            'stratum': _number(record, 'stratum', int, 'sources'),
            'poll': _number(record, 'poll', int, 'sources'),
            'reach': record['reach'],
            'last_rx': _never(_number(record, 'last_rx', int, 'sources')),
            'offset': _ms(_number(record, 'offset', float, 'sources')),
            'measured_offset': _ms(_number(record, 'measured_offset', float, 'sources')),
            'error': _ms(_number(record, 'error', float, 'sources')),
            'raw': record,
        })
    return result


def parse_authdata(text):
    """``chronyc -n -c authdata`` -> dict by address.

    Each: mode (``NTS``, ``SK`` for a symmetric key, ``-`` for none), key_id, key_type,
    key_length (bits; 0 until NTS-KE succeeded), last (seconds since the last NTS-KE or key
    change, None for never), attempts (NTS-KE attempts since the last success), naks, cookies,
    cookie_length, raw.
    """
    result = {}
    for record in _records(text, AUTHDATA_FIELDS, 'authdata'):
        entry = {'mode': record['mode'], 'raw': record}
        for name in AUTHDATA_FIELDS[2:]:
            entry[name] = _number(record, name, int, 'authdata')
        entry['last'] = _never(entry['last'])
        result[record['address']] = entry
    return result


def parse_tracking(text):
    """``chronyc -n -c tracking`` -> dict with the fields as printed (TRACKING_FIELDS)."""
    records = _records(text, TRACKING_FIELDS, 'tracking')
    if len(records) != 1:
        raise ChronycParseError('chronyc tracking printed %d records, expected 1' % len(records))
    return records[0]


def _refid(hex_id, address):
    """The reference as ntpq would name it: the source's address, else the ID as a dotted quad
    (127.127.1.1 for chrony's ``local`` reference, 0.0.0.0 when unsynchronised)."""
    if address:
        return address
    try:
        number = int(hex_id, 16)
    except ValueError:
        return hex_id
    return '.'.join(str((number >> shift) & 0xff) for shift in (24, 16, 8, 0))


def system_info(tracking):
    """``tracking`` (text or parse_tracking's dict) -> the system keys of ntp_status_info.

    Keys ntpq has and chrony lacks are None ([] for the certificates, ``none`` for the identity);
    ``variables`` holds the tracking fields as printed."""
    if isinstance(tracking, str):
        tracking = parse_tracking(tracking)
    leap_status = tracking['leap_status']
    if leap_status not in LEAP_STATUS:
        raise ChronycParseError('unknown leap status %r in chronyc tracking output' % leap_status)
    leap, leap_bits = LEAP_STATUS[leap_status]
    seconds = {name: _number(tracking, name, float, 'tracking')
               for name in ('last_offset', 'rms_offset', 'root_delay', 'root_dispersion')}
    return {
        'status': None,
        'status_words': [],
        'leap': leap,
        'leap_indicator': leap_bits,
        'sync': None,
        'event_count': None,
        'last_event': None,
        'stratum': _number(tracking, 'stratum', int, 'tracking'),
        'refid': _refid(tracking['reference_id'], tracking['address']),
        'peer': None,
        'offset': _ms(seconds['last_offset']),
        'sys_jitter': _ms(seconds['rms_offset']),
        'rootdelay': _ms(seconds['root_delay']),
        'rootdisp': _ms(seconds['root_dispersion']),
        'version': None,
        'digest': None,
        'certificates': [],
        'daemon': 'chrony',
        'variables': dict(tracking),
        'flags': None,
        'identity': 'none',
        'host': None,
        'ident': None,
        'signature': None,
    }


def _auth(source, auth):
    """ntpq's auth column for a chrony source: ``none`` without authentication, ``ok`` once NTS-KE
    gave keys (key length above 0) or, with a symmetric key, once authenticated replies arrived
    (chronyd drops the others), else ``bad``."""
    if not auth or auth['mode'] == '-':
        return 'none'
    if auth['mode'] == 'NTS':
        return 'ok' if auth['key_length'] > 0 else 'bad'
    return 'ok' if int(source['reach'], 8) else 'bad'


def association_info(index, source, auth=None):
    """One parse_sources entry (position ``index``, from 1) and its parse_authdata entry -> the
    association keys of ntp_status_info."""
    nts = bool(auth) and auth['mode'] == 'NTS'
    variables = dict(source['raw'])
    if auth:
        variables.update(('auth_' + name, value) for name, value in auth['raw'].items() if name != 'address')
    return {
        'ind': index,
        'assid': None,
        'status': None,
        'conf': None,
        'reach': 'yes' if int(source['reach'], 8) else 'no',
        'auth': _auth(source, auth),
        'condition': SOURCE_STATES[source['state']][1],
        'last_event': None,
        'event_count': None,
        'address': source['address'],
        'selection': SOURCE_STATES[source['state']][1],
        'leap': None,
        'leap_indicator': None,
        'stratum': source['stratum'],
        'refid': None,
        'reach_register': source['reach'],
        'offset': source['offset'],
        'delay': None,
        'jitter': source['error'],
        'flash': None,
        'flags': None,
        'identity': 'none',
        'host': None,
        'ident': None,
        'signature': None,
        'nts': nts,
        'cookies': auth['cookies'] if nts else None,
        'name': None,
        # a symmetric key (authdata mode SK): its ID, as ntpq's keyid (ntpq._symmetric_fields)
        'key_id': auth['key_id'] if auth and auth['mode'] == 'SK' else None,
        'symmetric': bool(auth) and auth['mode'] == 'SK',
        'mode': source['mode'],
        'state': source['state_name'],
        'key_length': auth['key_length'] if auth else None,
        'nts_attempts': auth['attempts'] if nts else None,
        'variables': variables,
    }


def chronyc_error(rc, stdout, stderr, host='localhost'):
    """Return a message when a chronyc run failed, else None.

    chronyc exits 1 and prints ``506 Cannot talk to daemon`` on stdout when nothing answers (no
    chronyd, or a remote chronyd whose command port listens on localhost only, its default), ``Could
    not open connection to daemon`` on stderr when it cannot resolve or reach the host, and other
    ``5xx`` replies (``501 Not authorised``) on stdout.
    """
    out = (stdout or '').strip()
    err = (stderr or '').strip()
    if 'Cannot talk to daemon' in out or 'Cannot talk to daemon' in err:
        return ('chronyd is not running on %s, or does not answer chronyc from here (its command port '
                'listens on localhost only by default): chronyc got "506 Cannot talk to daemon"' % host)
    if 'Could not open connection' in err or 'Could not get IP address' in err:
        return 'chronyc cannot reach host %s: %s' % (host, excerpt(err))
    if rc != 0:
        return 'chronyc failed with exit code %s: %s' % (rc, excerpt(err or out))
    return None


def config_file(argv):
    """The configuration file a chronyd runs with, from its command line: the last ``-f FILE``
    (or ``-fFILE``), else DEFAULT_CONFIG."""
    found = None
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == '-f' and i + 1 < len(args):
            found = args[i + 1]
            i += 2
            continue
        if arg.startswith('-f') and len(arg) > 2:
            found = arg[2:]
        i += 1
    return found or DEFAULT_CONFIG


def command_argv(binary, command, host=None, timeout=5):
    """The argv of one chronyc query in CSV form with numeric addresses: ``-h host`` unless ``host`` is
    None (then chronyc tries chronyd's Unix socket first, and the command port on localhost when it
    cannot use the socket, e.g. as an unprivileged user), ``timeout`` seconds as chronyc's initial
    timeout, the one command ``command``. ntp_status_info and the metrics collector run it with LC_ALL=C."""
    argv = [binary, '-n', '-c']
    if host is not None:
        argv += ['-h', host]
    return argv + ['-m', 'timeout %d' % (timeout * 1000), command]


def collect(run, host='localhost', warn=None):
    """Read a running chronyd through chronyc: ``sources``, ``authdata``, ``tracking``.

    ``run(command)`` is the transport: it runs ``chronyc -n -c`` with the one chronyc command
    ``command`` (with ``LC_ALL=C`` and whatever else the caller needs: a host, a timeout, podman
    exec) and returns ``(rc, stdout, stderr)``. A source without authdata (a reference clock, or
    one added between the queries) is kept without authentication (``warn(message)`` is told when
    an NTP source has none); every failure raises ChronycError. Returns ``(system, associations)``;
    ``status.summarize`` gives the summary.
    """
    outputs = {}
    for command in COMMANDS:
        rc, out, err = run(command)
        error = chronyc_error(rc, out, err, host)
        if error:
            raise ChronycError(error)
        outputs[command] = out
    sources = parse_sources(outputs['sources'])
    auth = parse_authdata(outputs['authdata'])
    associations = []
    for index, source in enumerate(sources, 1):
        entry = auth.get(source['address'])
        if entry is None and source['mode'] != 'refclock' and warn is not None:
            warn('chronyd reported no authentication data for source %s' % source['address'])
        associations.append(association_info(index, source, entry))
    return system_info(outputs['tracking']), associations
