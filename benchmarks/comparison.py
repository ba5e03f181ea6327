"""Benchmark: our client role against a plain ntp install + template on the same container image.

The baseline, benchmarks/baseline/ntp_plain.yml, is what a generic NTP role does (package,
templated ntp.conf with `server <server> iburst`, handler, service; the approach of
geerlingguy.ntp) without Autokey, keys, firewall or verification. Each run makes fresh
tsn-cmp containers: 1 server set up with our ntp_server role (needed by both, not compared) and
3 clients of the same image pointing at it, converged one after another (order reversed on
every other run):
  ours           site.yml --limit <client>, shipped defaults: the role waits for IFF itself
  ours, no wait  the same with ntp_client_verify=false, then ntpq polled until identity verified
  baseline       ntp_plain.yml --limit <client>, then ntpq polled until the server is sys.peer
Per-task seconds come from the ansible.posix.profile_tasks callback (the server's converge too:
its table lands in the log directory). Connection: podlab's (SSH as a user with sudo and
pipelining unless TSN_BENCH_CONNECTION=podman). Prints numbers; asserts nothing.
Usage: . scripts/env.sh && python benchmarks/comparison.py [--runs N]
"""

import argparse
import os
import re
import shutil
import statistics
import tempfile

from podlab import Lab, client_order, machine, podman_platform

BASELINE = 'benchmarks/baseline/ntp_plain.yml'
# key, label, playbook, extra vars, what "synchronized" means for it
VARIANTS = [
    ('ours', 'ours (verify on)', 'timesec.ntp.site', [], 'identity_verified'),
    ('ours_nowait', 'ours (verify=false)', 'timesec.ntp.site', ['ntp_client_verify=false'], 'identity_verified'),
    ('baseline', 'baseline (plain)', BASELINE, [], 'sys_peer'),
]
PROFILE_ENV = {
    'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks',
    'PROFILE_TASKS_TASK_OUTPUT_LIMIT': 'all',
    'PROFILE_TASKS_SORT_ORDER': 'none',
}
# Tasks that reach the container take >= 0.3 s over SSH (>= 1 s over podman exec); controller-only
# tasks (assert, set_fact, include_vars, skipped tasks) take well under 0.2 s.
REMOTE_SECONDS = 0.3
TASKS_SUM = 'sum of the tasks'
OVERHEAD = 'ansible-playbook start, between tasks'
PROFILE_LINE = re.compile(r'^(?P<task>\S.*?) -{2,} (?P<seconds>\d+\.\d+)s\s*$')
# Where a converge's time goes; the first pattern that matches a task name wins. The roles' task names say "the time
# daemon" since issue 28 ("ntpd"/"ntp" before, as the baseline's still do): both are matched.
CATEGORIES = [
    ('gather facts', r'Gathering Facts|Gather the facts'),
    ('apt install (ntp; ours: + iptables)', r"(^|: )Install ntp$|: Install the time daemon's packages$"),
    ('Autokey keys, IFF parameters, keysdir', r'host key|IFF client parameters|keys directory'),
    ('iptables udp/123', r'Open udp/123'),
    ('verify wait (ntp_status_info polling)',
     r'Wait for authenticated|Wait until the servers|Measure how long|Read ntpd|Read the time daemon|Fail with the evidence'
     r'|Report the authenticated'),
    ('ntp.conf, service, restart',
     r"ntp\.conf|the time daemon's configuration|(Enable and )?start (ntp|the time daemon)|Restart (ntp|the time daemon)"),
    ('checks, step-clock logic, other', r'.'),
]


def profile(output):
    """[(task name, seconds)] from profile_tasks' summary at the end of a playbook run."""
    rows = []
    for line in output.split('PLAY RECAP')[-1].splitlines():
        match = PROFILE_LINE.match(line.strip())
        if match:
            rows.append((match.group('task'), float(match.group('seconds'))))
    return rows


def by_category(tasks):
    totals = dict.fromkeys((label for label, _pattern in CATEGORIES), 0.0)
    for name, seconds in tasks:
        for label, pattern in CATEGORIES:
            if re.search(pattern, name):
                totals[label] += seconds
                break
    return totals


def recap_counts(recap):
    line = recap[0] if recap else ''
    return {key: int(re.search(r'%s=(\d+)' % key, line).group(1)) if key + '=' in line else 0
            for key in ('ok', 'changed', 'skipped')}


def one_run(number, logdir):
    lab = Lab('cmp', len(VARIANTS), default_prefix='tsn')
    order = client_order(VARIANTS, lab.clients, number)
    results = {}
    try:
        lab.up()
        server_s, _recap, out = lab.converge(env=PROFILE_ENV, limit=lab.server)
        with open(os.path.join(logdir, 'run%d-server.log' % number), 'w') as handle:
            handle.write(out)
        print('run %d: server converge %.1f s (our ntp_server role; not compared); clients in order: %s; '
              'load average %.1f' % (number, server_s, ', '.join(variant[0] for variant, _client in order),
                                     os.getloadavg()[0]), flush=True)
        for (key, label, playbook, extra, condition), client in order:
            seconds, recap, out = lab.converge(extra, env=PROFILE_ENV, playbook=playbook, limit=client)
            with open(os.path.join(logdir, 'run%d-%s.log' % (number, key)), 'w') as handle:
                handle.write(out)
            wait = lab.wait_until([client], lambda summary, c=condition: bool(summary[c]), timeout=400)[client]
            uptime = lab.ntpd_uptime(client) if wait is not None else None
            tasks = profile(out)
            categories = by_category(tasks)
            categories[TASKS_SUM] = sum(seconds for _name, seconds in tasks)
            categories[OVERHEAD] = seconds - categories[TASKS_SUM]
            results[key] = {'converge': seconds, 'wait': wait, 'uptime': uptime, 'memory': lab.memory,
                            'total': None if wait is None else seconds + wait,
                            'tasks': len(tasks), 'remote': sum(1 for _name, t in tasks if t >= REMOTE_SECONDS),
                            'categories': categories, **recap_counts(recap)}
            print('  %-20s on %s: converge %6.1f s, then %s until %s (ntpd up %s s); '
                  'tasks %d (ok %d, changed %d, skipped %d; %d took >= %.1f s)'
                  % (label, client, seconds, 'timeout' if wait is None else '%.1f s' % wait,
                     'IFF identity verified' if condition == 'identity_verified' else 'sys.peer', uptime,
                     len(tasks), results[key]['ok'], results[key]['changed'], results[key]['skipped'],
                     results[key]['remote'], REMOTE_SECONDS), flush=True)
    finally:
        lab.down()
        shutil.rmtree(lab.dir, ignore_errors=True)
    return results


def cell(values, fmt='%.1f'):
    values = [v for v in values if v is not None]
    if not values:
        return 'n/a'
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + ' (%s)') % (statistics.mean(values), ', '.join(fmt % v for v in values))


def ratio(runs, key, field):
    pairs = [(r[key][field], r['baseline'][field]) for r in runs
             if r[key][field] is not None and r['baseline'][field]]
    if not pairs:
        return 'n/a'
    return '%.2f' % (statistics.mean(a for a, _b in pairs) / statistics.mean(b for _a, b in pairs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=2, help='repetitions on fresh containers (default 2)')
    args = parser.parse_args()
    logdir = tempfile.mkdtemp(prefix='tsn-cmp-logs-')
    print('client converge: our ntp_client role (Autokey/IFF) vs a plain ntp install + template (%s)' % BASELINE)
    print('machine: %s; %s; ansible-playbook logs in %s' % (machine(), podman_platform('tsn'), logdir), flush=True)
    runs = [one_run(number, logdir) for number in range(1, args.runs + 1)]

    print('\nmean (per run) over %d run(s), seconds; each client a fresh container, converged one at a time' % len(runs))
    head = '%-46s %-22s %-22s %-22s %-8s %s'
    print(head % ('', '(1) ours, verify on', '(2) ours, verify=false', '(3) baseline', '(1)/(3)', '(2)/(3)'))
    rows = [
        ('converge (ansible-playbook wall time)', 'converge', '%.1f'),
        ('then until synced (ntpq polled 1/s)', 'wait', '%.1f'),
        ('converge + until synced', 'total', '%.1f'),
        ('ntpd uptime when synced', 'uptime', '%.0f'),
        ('tasks run (incl. skipped, controller-only)', 'tasks', '%.0f'),
        ('tasks taking >= %.1f s (container round trips)' % REMOTE_SECONDS, 'remote', '%.0f'),
    ]
    for title, field, fmt in rows:
        cells = [cell([r[key][field] for r in runs], fmt) for key, *_rest in VARIANTS]
        ratios = ['-', '-'] if field == 'wait' else [ratio(runs, 'ours', field), ratio(runs, 'ours_nowait', field)]
        print(head % tuple([title] + cells + ratios))
    print('synced: (1), (2) IFF identity verified (sys.peer, auth ok, VRFY+IFF flags); (3) sys.peer, unauthenticated')
    print('targets: converge (2)/(3) = %s (target <= 1.5); (2) from the end of converge to IFF-verified: %s s '
          '(target <= 60 s)' % (ratio(runs, 'ours_nowait', 'converge'), cell([r['ours_nowait']['wait'] for r in runs])))
    print('peak controller memory per converge (ansible-playbook + children, summed RSS, MiB): %s'
          % ', '.join('%s %s' % (key, cell([r[key]['memory']['tree_kib'] / 1024.0 for r in runs], '%.0f'))
                      for key, *_rest in VARIANTS))

    print('\nwhere the converge time goes (profile_tasks, mean seconds over the runs)')
    head = '%-46s %8s %8s %8s %10s'
    print(head % ('', '(1)', '(2)', '(3)', '(2) - (3)'))
    for label in [label for label, _pattern in CATEGORIES] + [TASKS_SUM, OVERHEAD]:
        values = [statistics.mean(r[key]['categories'][label] for r in runs) for key, *_rest in VARIANTS]
        print(head % (label, '%.1f' % values[0], '%.1f' % values[1], '%.1f' % values[2],
                      '%+.1f' % (values[1] - values[2])))


if __name__ == '__main__':
    main()
