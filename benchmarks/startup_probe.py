"""Runs INSIDE a client container (copied there by time_to_sync.py, with the collection's ntpq reader,
plugins/module_utils/ntpq.py and status.py, in an ansible_collections tree next to it:
podlab.probe_files): restarts ntpd, then reads ntpq every 0.25 s until the server is IFF-verified
(ntp_status_info's identity_verified: sys.peer, auth ok, VRFY and IFF flags).

Prints one JSON object: "verified" = seconds from ntpd's start (the process start time in
/proc) to the first reading that showed it (null on timeout), "events" = [seconds, what] for
every change of the Autokey flags, the association's condition and its sample count
(filtdisp entries below 16 s), "sent" = ntpd's own "packets sent" counter at that moment.
Usage (inside the container): python3 startup_probe.py [TIMEOUT]
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ansible_collections.timesec.ntp.plugins.module_utils import ntpq, status  # noqa: E402


def run(*args):
    return subprocess.run(args, check=False, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=dict(os.environ, LC_ALL='C')).stdout


def ntpd_age():
    """Seconds since the running ntpd process started (None when none runs)."""
    pids = run('pidof', 'ntpd').split()
    if not pids:
        return None
    with open('/proc/%s/stat' % pids[0]) as handle:
        start_ticks = int(handle.read().rsplit(')', 1)[1].split()[19])
    with open('/proc/uptime') as handle:
        uptime = float(handle.read().split()[0])
    return uptime - start_ticks / os.sysconf('SC_CLK_TCK')


def reading():
    """(summary, association info or None, packets sent or None) from one round of ntpq."""
    rows = ntpq.parse_associations(run('ntpq', '-n', '-c', 'as'))
    assoc = None
    sent = None
    infos = []
    for row in rows:
        pairs = ntpq.parse_readvars(run('ntpq', '-n', '-c', 'rv %s' % row['assid']))
        infos.append(ntpq.association_info(row, pairs))
        if assoc is None:
            assoc = (infos[-1], pairs)
            for line in run('ntpq', '-n', '-c', 'pstats %s' % row['assid']).splitlines():
                if line.startswith('packets sent:'):
                    sent = int(line.split(':')[1])
    system = ntpq.system_info(ntpq.parse_readvars(run('ntpq', '-n', '-c', 'rv 0')))
    return status.summarize(system, infos), assoc, sent


def samples(pairs):
    """Clock filter stages holding a sample (dispersion below ntpd's 16 s for an empty stage)."""
    values = str(dict(pairs).get('filtdisp') or '').split()
    return sum(1 for value in values if value.replace('.', '', 1).isdigit() and float(value) < 16000)


def main():
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 180
    run('systemctl', 'restart', 'ntp')
    events = []
    last = {}
    verified = None
    sent = None
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        age = ntpd_age()
        try:
            summary, assoc, sent = reading()
        except Exception:  # ntpd not answering yet  # pylint: disable=broad-except
            time.sleep(0.25)
            continue
        if assoc is not None and age is not None:
            info, pairs = assoc
            now = {
                'flags': ' '.join((info.get('flags') or {}).get('names', [])),
                'condition': info.get('condition'),
                'samples': samples(pairs),
            }
            for key, value in now.items():
                if last.get(key) != value:
                    events.append([round(age, 2), '%s=%s' % (key, value)])
            last = now
        if summary['identity_verified'] and age is not None:
            verified = round(age, 2)
            break
        time.sleep(0.25)
    print(json.dumps({'verified': verified, 'events': events, 'sent': sent}))


if __name__ == '__main__':
    main()
