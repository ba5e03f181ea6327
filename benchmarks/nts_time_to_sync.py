"""Benchmark: NTS time to authenticated sync, chrony and ntpsec side by side (both directions).

One lab of Debian 12 containers set up by site.yml (ntp_auth nts): an ntpsec server and a chrony server
(ntp_daemon chrony), and one client per pair:
  ntpsec -> ntpsec, chrony -> chrony, chrony client -> ntpsec server, ntpsec client -> chrony server.
Then RUNS times, all clients at once: restart the client's daemon and poll, inside the container every
0.2 s, its own tool until the server is its selected source (chrony: `chronyc -n -c sources` starts with
"^,*"; ntpsec: `ntpq -pn` has a "*" line). The roles' configuration selects NTS-authenticated sources
only (chrony: authselectmode require; ntpsec: only NTS servers), and after each run the collection's own
readers (ntp_status_info's code) confirm summary.nts on every client. chrony clients lose their saved
cookies before each "fresh" run (a full NTS-KE, as ntpsec makes at every start); the "kept" row restarts
chrony with its cookies in ntsdumpdir. Prints every run, the median, and each row's ratio to ntpsec -> ntpsec.

Containers: $TSN_BENCH_PREFIX-nts-* (default tsn-bench-nts-*), podman exec as root, never
CAP_SYS_TIME: as in molecule/nts, chronyd runs with -x and ntpsec without -u (test-only drop-ins).
Usage: . scripts/env.sh && python benchmarks/nts_time_to_sync.py [--runs N] [--keep]
"""

import argparse
import json
import os
import statistics
import tempfile
import threading

from podlab import PODMAN_VARS, bench_prefix, hosts, machine, ntp, playbook, sh

IMAGE = 'timesec-ntp/debian12'
# (row, client daemon, server daemon)
PAIRS = [('ntpsec -> ntpsec', 'ntpsec', 'ntpsec'), ('chrony -> chrony', 'chrony', 'chrony'),
         ('chrony -> ntpsec', 'chrony', 'ntpsec'), ('ntpsec -> chrony', 'ntpsec', 'chrony')]
DROPINS = {
    'chrony': ('chrony', '[Unit]\nConditionCapability=\n[Service]\nExecStart=\nExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x\n'),
    'ntpsec': ('ntpsec', '[Unit]\nConditionCapability=\n[Service]\nExecStart=\n'
                         'ExecStart=/usr/sbin/ntpd -p /run/ntpd.pid -c /etc/ntpsec/ntp.conf -g -N\n'),
}
# Selected source, by the daemon's own tool (the roles configure NTS-only selection).
SELECTED = {'chrony': "chronyc -n -c sources 2>/dev/null | grep -q '^^,\\*'",
            'ntpsec': "ntpq -pn 2>/dev/null | grep -q '^\\*'"}
PROBE = ('t0=$(date +%%s.%%N); %s; systemctl restart %s; i=0; until %s; do i=$((i+1)); [ $i -gt 600 ] && break; '
         'sleep 0.2; done; t1=$(date +%%s.%%N); echo "$t0 $t1"')


def names(prefix):
    servers = {'ntpsec': prefix + '-srv-ntpsec', 'chrony': prefix + '-srv-chrony'}
    clients = {row: '%s-cli-%s-%s' % (prefix, client, server) for row, client, server in PAIRS}
    return servers, clients


def up(prefix, servers, clients, workdir):
    lab_hosts = list(servers.values()) + list(clients.values())
    hosts.start(lab_hosts, IMAGE, prefix, fresh=True)
    daemons = dict((servers[d], d) for d in servers)
    daemons.update((clients[pair[0]], pair[1]) for pair in PAIRS)
    for host in lab_hosts:
        unit, text = DROPINS[daemons[host]]
        hosts.sh(host, 'mkdir -p /etc/systemd/system/%s.service.d && cat > /etc/systemd/system/%s.service.d/container.conf'
                 ' && systemctl daemon-reload' % (unit, unit), stdin=text)
    host_vars = {servers['chrony']: {'ntp_daemon': 'chrony'}}
    for row, client, server in PAIRS:
        host_vars[clients[row]] = {'ntp_client_servers': [servers[server]], 'ntp_daemon': client}
    inventory = {'all': {'vars': dict(PODMAN_VARS, ansible_python_interpreter='/usr/bin/python3', ntp_auth='nts',
                                      ntp_server_export_dir=os.path.join(workdir, 'export'),
                                      ntp_server_nts_ca_dir=os.path.join(workdir, 'nts-ca')),
                         'children': {'ntp_servers': {'hosts': {h: host_vars.get(h, {}) for h in servers.values()}},
                                      'ntp_clients': {'hosts': {h: host_vars[h] for h in clients.values()}}}}}
    path = os.path.join(workdir, 'inventory.json')
    with open(path, 'w') as handle:
        json.dump(inventory, handle)
    playbook(path, 'timesec.ntp.site', env={'ANSIBLE_FORKS': str(len(lab_hosts))})


def probe(host, daemon, forget_cookies):
    forget = 'rm -f /var/lib/chrony/*.nts' if daemon == 'chrony' and forget_cookies else 'true'
    # stop first, so that chronyd writes its cookies (ntsdumpdir) before they are removed
    unit = 'chrony' if daemon == 'chrony' else 'ntpsec'
    out = sh('podman', 'exec', host, 'sh', '-c', 'systemctl stop %s; ' % unit
             + PROBE % (forget, unit, SELECTED[daemon])).stdout.split()
    return float(out[-1]) - float(out[-2])


def one_run(clients, forget_cookies):
    results = {}

    def measure(row, daemon):
        results[row] = probe(clients[row], daemon, forget_cookies)

    threads = [threading.Thread(target=measure, args=pair[:2]) for pair in PAIRS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for row in [pair[0] for pair in PAIRS]:
        if not ntp.status(clients[row])['summary']['nts']:
            raise RuntimeError('%s (%s): selected, but not NTS-authenticated' % (row, clients[row]))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5, help='restarts per client (default 5)')
    parser.add_argument('--keep', action='store_true', help='leave the containers running')
    args = parser.parse_args()
    prefix = bench_prefix() + '-nts'
    servers, clients = names(prefix)
    workdir = tempfile.mkdtemp(prefix=prefix + '-')
    print('machine: %s; image %s; podman exec as root' % (machine(), IMAGE))
    try:
        up(prefix, servers, clients, workdir)
        rows = {pair[0]: [] for pair in PAIRS}
        rows['chrony -> chrony, cookies kept'] = []
        for run in range(1, args.runs + 1):
            fresh = one_run(clients, forget_cookies=True)
            kept = probe(clients['chrony -> chrony'], 'chrony', forget_cookies=False)
            for row, seconds in fresh.items():
                rows[row].append(seconds)
            rows['chrony -> chrony, cookies kept'].append(kept)
            print('run %d: %s; chrony kept %.1f s' % (run, ', '.join('%s %.1f s' % (r, s) for r, s in fresh.items()), kept))
        base = statistics.median(rows['ntpsec -> ntpsec'])
        print('\nfrom the daemon restart to an NTS-authenticated selected source (%d runs)' % args.runs)
        print('%-32s %8s %8s %8s %10s' % ('client -> server', 'median', 'min', 'max', 'ratio'))
        for row, values in rows.items():
            median = statistics.median(values)
            print('%-32s %7.1fs %7.1fs %7.1fs %9.2fx' % (row, median, min(values), max(values), median / base))
    finally:
        if not args.keep:
            hosts.remove(list(servers.values()) + list(clients.values()), prefix)


if __name__ == '__main__':
    main()
