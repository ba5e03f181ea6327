"""Benchmark: Autokey start-up and steady-state traffic, the client defaults before 0.3.0 against today's.

One lab, side by side: 1 server (Debian 11, our ntp_server role, with "restrict ... limited kod" as
clients of a rate-limiting server meet it) and CLIENTS clients per row, alternating:
  old  minpoll 4, maxpoll 6, iburst packets 2 s apart, tos maxdist 1.5 (ntpd's defaults)
  new  the shipped defaults (ntp_client_minpoll 3, maxpoll 6, ntp_client_discard_minimum 1,
       ntp_client_maxdist 3)
After one converge (ntp_client_verify=false):
1. RUNS times: restart ntpd on every client at once; inside each container startup_probe.py reads
   ntpq every 0.25 s and reports the seconds from ntpd's process start to the first reading with
   the server IFF-verified (ntp_status_info's identity_verified). Prints every run, the median and
   the slowest per row, and the timeline of the first run (Autokey flags, condition, samples).
   Before each run the clients stay quiet for PAUSE s, so that the server's rate limiter starts
   each run from the same state.
2. Steady state: SETTLE s after the last restart (the start-up burst is over by then), counts each
   client's requests during WINDOW s, twice: ntpd's own counter on the client (ntpq pstats
   "packets sent") and the server's MRU list (ntpq mrulist "count" for the client's address).
   Prints packets per minute per client, the poll interval ntpd uses at the end (hpoll) with the
   loop's offset and clk_jitter (ntpd raises hpoll toward maxpoll only while the offset stays
   within 4 x clk_jitter, which needs a clock it can discipline: not in these containers, which
   lack CAP_SYS_TIME), and the server's "rate limited" and "KoD responses" counters.
Containers: $TSN_BENCH_PREFIX-sync-* (default tsn-bench-sync-*), removed at the end. The converge uses
podlab's connection (SSH with sudo and pipelining unless TSN_BENCH_CONNECTION=podman); the probes use podman exec.
Usage: . scripts/env.sh && python benchmarks/time_to_sync.py [--runs N] [--clients K] [--pause S] [--settle S]
       [--window S]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import threading
import time

from podlab import Lab, machine, mru_counts, podman_platform, probe_dirs, probe_files, sh

ROWS = [
    ('old', 'before 0.3.0: minpoll 4, burst 2 s apart, maxdist 1.5',
     {'ntp_client_minpoll': 4, 'ntp_client_maxpoll': 6, 'ntp_client_discard_minimum': 2, 'ntp_client_maxdist': 1.5}),
    ('new', 'shipped defaults: minpoll 3, burst 1 s apart, maxdist 3', {}),
]
# What the server's restrict line gets (ntp_server_restrict_options): rate limiting with KoD.
SERVER_RESTRICT = ['limited', 'kod', 'nomodify', 'noquery']
PROBE_DIR = '/tmp/tsn-probe'
VAR_RE = re.compile(r'\b([a-z_]+)=([^,\s]+)')


def install_probe(host):
    sh('podman', 'exec', host, 'mkdir', '-p', *probe_dirs(PROBE_DIR))
    for local, remote in probe_files(PROBE_DIR):
        sh('podman', 'cp', local, '%s:%s' % (host, remote))


def probe_all(clients, timeout):
    """Restart ntpd on all clients at once; {client: probe result}."""
    results = {}

    def one(host):
        out = sh('podman', 'exec', host, 'python3', '%s/startup_probe.py' % PROBE_DIR, str(timeout), check=False).stdout
        try:
            results[host] = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            results[host] = {'verified': None, 'events': [], 'error': out[-500:]}

    threads = [threading.Thread(target=one, args=(host,)) for host in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def readvars(host, *commands):
    """{name: value} of the name=value pairs that ntpq prints for the given commands."""
    out = sh('podman', 'exec', host, 'ntpq', '-n', *[arg for command in commands for arg in ('-c', command)],
             check=False).stdout
    return dict(VAR_RE.findall(out))


def packets_sent(host):
    out = sh('podman', 'exec', host, 'ntpq', '-n', '-c', 'as', '-c', 'pstats &1', check=False).stdout
    for line in out.splitlines():
        if line.startswith('packets sent:'):
            return int(line.split(':')[1])
    return None


def address(host):
    return sh('podman', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', host).stdout.strip()


def sysstats(server):
    out = sh('podman', 'exec', server, 'ntpq', '-c', 'sysstats', check=False).stdout
    return {key.strip(): value.strip() for key, _sep, value in (line.partition(':') for line in out.splitlines()) if value}


def describe(seconds):
    return 'timeout' if seconds is None else '%.1f' % seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5, help='ntpd restarts per client (default 5)')
    parser.add_argument('--clients', type=int, default=2, help='clients per row (default 2)')
    parser.add_argument('--pause', type=int, default=60, help='quiet seconds before each run (default 60)')
    parser.add_argument('--window', type=int, default=300, help='counting window, s (default 300)')
    parser.add_argument('--settle', type=int, default=60, help='seconds after the last restart before counting (default 60)')
    args = parser.parse_args()

    lab = Lab('sync', args.clients * len(ROWS))
    row_of = {client: ROWS[index % len(ROWS)] for index, client in enumerate(lab.clients)}
    print('Autokey start-up and steady state, old client defaults vs new, 1 server + %d clients per row; %s; %s'
          % (args.clients, machine(), podman_platform()))
    try:
        lab.up(host_vars={client: row[2] for client, row in row_of.items()},
               lab_vars={'ntp_server_restrict_options': SERVER_RESTRICT})
        converge, _recap, _out = lab.converge(['ntp_client_verify=false'])
        print('converge %.0f s' % converge, flush=True)
        conf = sh('podman', 'exec', lab.server, 'grep', '-E', '^(discard|restrict [0-9])', '/etc/ntp.conf').stdout
        print('  %s: %s' % (lab.server, '; '.join(conf.strip().splitlines())))
        for client in lab.clients:
            install_probe(client)
            conf = sh('podman', 'exec', client, 'grep', '-E', '^(server|discard|tos)', '/etc/ntp.conf').stdout
            print('  %s (%s): %s' % (client, row_of[client][0], '; '.join(conf.strip().splitlines())))

        # 1. From ntpd's start to IFF-verified.
        times = {key: [] for key, _label, _vars in ROWS}
        timelines = {}
        for run in range(1, args.runs + 1):
            time.sleep(args.pause)
            results = probe_all(lab.clients, timeout=180)
            cells = []
            for client in lab.clients:
                key = row_of[client][0]
                seconds = results[client]['verified']
                times[key].append(seconds)
                timelines.setdefault(key, (client, results[client]['events']))
                cells.append('%s %s %s s' % (client.rsplit('-', 1)[1], key, describe(seconds)))
            print('run %d: %s (load average %.1f)' % (run, ', '.join(cells), os.getloadavg()[0]), flush=True)

        # 2. Steady state.
        time.sleep(args.settle)
        addresses = {client: address(client) for client in lab.clients}
        before = ({client: packets_sent(client) for client in lab.clients}, mru_counts(lab.server), time.monotonic())
        time.sleep(args.window)
        after = ({client: packets_sent(client) for client in lab.clients}, mru_counts(lab.server), time.monotonic())
        window = after[2] - before[2]
        polls = {client: readvars(client, 'as', 'rv &1 hpoll', 'rv 0 offset,clk_jitter') for client in lab.clients}
        stats = sysstats(lab.server)
    finally:
        lab.down()
        subprocess.run(['rm', '-rf', lab.dir], check=False)

    print('\nseconds from ntpd start to IFF-verified sys.peer (%d runs, ntpd restarted on all clients at once)' % args.runs)
    for key, label, _vars in ROWS:
        values = [v for v in times[key] if v is not None]
        print('  %-4s %-58s median %s s, slowest %s s, timeouts %d; each: %s'
              % (key, label, describe(statistics.median(values)) if values else 'n/a',
                 describe(max(values)) if values else 'n/a', times[key].count(None),
                 ', '.join(describe(v) for v in times[key])))
    medians = [statistics.median([v for v in times[key] if v is not None] or [0]) for key, _l, _v in ROWS]
    if medians[0] and medians[1]:
        print('  ratio new/old (medians): %.2f' % (medians[1] / medians[0]))
    for key, (client, events) in timelines.items():
        print('timeline of run 1, %s (%s): %s' % (key, client, '; '.join('%.1f %s' % (t, what) for t, what in events)))

    print('\nrequests per minute per client during %.0f s, from %d s after the last restart' % (window, args.settle))
    per_row = {key: [] for key, _label, _vars in ROWS}
    for client in lab.clients:
        key = row_of[client][0]
        sent = None if None in (before[0][client], after[0][client]) else after[0][client] - before[0][client]
        seen = after[1].get(addresses[client], 0) - before[1].get(addresses[client], 0)
        per_row[key].append((sent, seen))
        print('  %s %-3s: sent %s, server saw %d -> %.2f / %.2f per min; at the end hpoll=%s, offset=%s ms, '
              'clk_jitter=%s ms' % (client, key, sent, seen, (sent or 0) * 60.0 / window, seen * 60.0 / window,
                                    polls[client].get('hpoll'), polls[client].get('offset'),
                                    polls[client].get('clk_jitter')))
    for key, _label, _vars in ROWS:
        sent = [s for s, _seen in per_row[key] if s is not None]
        seen = [seen for _s, seen in per_row[key]]
        print('  %-4s mean per client: %.2f per min (client counter), %.2f per min (server MRU list)'
              % (key, statistics.mean(sent) * 60.0 / window if sent else float('nan'),
                 statistics.mean(seen) * 60.0 / window))
    print('server: rate limited %s, KoD responses %s' % (stats.get('rate limited'), stats.get('KoD responses')))


if __name__ == '__main__':
    main()
