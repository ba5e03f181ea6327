"""Helpers for the testinfra suites: read a live ntpd (ntpq) or chronyd (chronyc) and wait for Autokey or NTS.

Shared by every Molecule scenario (each scenario's tests/conftest.py puts this directory
on sys.path). The ntpq and chronyc parsing is the collection's own (plugins/module_utils/ntpq.py,
chronyc.py and status.py, the code behind ntp_status_info), imported from the collections tree that scripts/env.sh sets up.
"""

import json
import time

from labkit import ntp as labkit_ntp
from labkit import oracle
from labkit.ntp import reader_status


def status(host):
    """The ntp_status_info view of a host's ntpd or chronyd (whichever runs there): system,
    associations and summary, read with the module's own code (labkit.ntp.read: ntpq.collect,
    chronyc.collect) through testinfra; for an ntpd, checked against ntpd's raw ntpq output
    (labkit.oracle: ``state['raw']``). Raises reader_status.StatusError (what both readers raise) when it
    does not answer, oracle.Disagreement when the two readings differ."""
    def run(script):
        result = host.run(script)
        return result.rc, result.stdout, result.stderr

    return labkit_ntp.read(run)


def wait_authenticated(host, timeout=120, interval=4, key='identity_verified'):
    """Poll until ``summary[key]``: by default the system peer is authenticated (auth ok, VRFY)
    with a verified identity (Autokey); ``key='nts'`` waits for an NTS-authenticated system peer.

    Returns the last state; ``state['peer']`` is the system peer's association, if any.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = status(host)
        except (reader_status.StatusError, oracle.Unstable) as exc:  # ntpd (re)starting or changing: not yet
            state = {'error': str(exc), 'associations': [], 'summary': {key: False}}
        state['peer'] = next((a for a in state['associations'] if a['condition'] == 'sys.peer'), None)
        state['authenticated'] = state['summary'][key]
        if state['authenticated'] or time.monotonic() > deadline:
            return state
        time.sleep(interval)


NTP_UNIX_OFFSET = 2208988800


def receive_time(assoc):
    """Unix time at which ntpd last accepted a packet of this association (its ``rec``), or None."""
    value = ((assoc or {}).get('variables') or {}).get('rec') or ''
    try:
        return int(value.split('.', 1)[0], 16) - NTP_UNIX_OFFSET
    except ValueError:
        return None


def authenticated_since(state, since):
    """True when the system peer is authenticated by IFF and its last accepted packet is newer than ``since``.

    ``auth ok`` is the state of the last packet ntpd accepted, so together with a receive time after
    ``since`` (for example a server restart) it says that a packet sent after that moment passed
    Autokey authentication; an association that merely kept an old state does not qualify.
    """
    peer = state.get('peer')
    received = receive_time(peer)
    return bool(state['summary']['identity_verified'] and received is not None and received > since)


def wait_state(host, until, timeout=180, interval=2):
    """Poll ``status(host)`` (with ``peer`` set as in wait_authenticated) until ``until(state)``.

    Returns ``(state, elapsed seconds, satisfied)``; a failing ntpq counts as "not yet".
    """
    start = time.monotonic()
    state = {'summary': {'identity_verified': False, 'authenticated': False}, 'associations': [], 'peer': None}
    while True:
        try:
            state = status(host)
            state['peer'] = next((a for a in state['associations'] if a['condition'] == 'sys.peer'), None)
        except (AssertionError, RuntimeError, reader_status.StatusError) as exc:
            state = dict(state, error=str(exc)[:200])
        elapsed = time.monotonic() - start
        if until(state):
            return state, elapsed, True
        if elapsed > timeout:
            return state, elapsed, False
        time.sleep(interval)


def sysstat(host, name):
    """One counter of ntpd's ``ntpq -c sysstats`` (classic and ntpsec), e.g. "rate limited"."""
    return oracle.counter(host.check_output('ntpq -n -c sysstats 127.0.0.1'), name)


# "rate limited" / "KoD responses" a server may count for the roles' own clients. Measured: 0 on every
# server in most runs; 1 on one firewall server in a run under load average 17 (a restarted client's
# packets closer than ntpd's 2 s minimum). One dropped packet is harmless; more would mean the limits
# hurt the roles' clients. The same bound for every scenario (molecule/firewall, molecule/nts).
RATE_LIMIT_TOLERANCE = 1


# Where molecule/shared/secretwatch.py (started by a scenario's prepare step) logs.
SECRETWATCH_LOG = '/run/tsn-secretwatch.log'


def secret_window(host, path, log=SECRETWATCH_LOG):
    """The chmod/chown events (inotify ATTRIB) that reached ``path`` after its last content write
    (MOVED_TO or CLOSE_WRITE), as secretwatch.py recorded them: each one means the file held its
    final content before it had its final owner or mode, so for a moment others could read it.
    Returns (late attribute events, every event of the file); fails when nothing was recorded."""
    records = [json.loads(line) for line in host.file(log).content_string.splitlines() if line.strip()]
    assert records and records[0].get('ready'), '%s does not start with the watcher\'s ready line' % log
    events = [record for record in records[1:] if record['name'] == path]
    writes = [i for i, record in enumerate(events) if {'MOVED_TO', 'CLOSE_WRITE'} & set(record['event'].split('+'))]
    assert writes, 'no write of %s was recorded, so this check would prove nothing: %r' % (path, events)
    late = [record for record in events[writes[-1] + 1:] if 'ATTRIB' in record['event'].split('+')]
    return late, events
