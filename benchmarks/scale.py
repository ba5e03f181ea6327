"""Benchmark: converge wall time and peak controller memory for 1 server + 1 and 20 clients.

Each size is a fresh lab (podlab's connection: SSH as a user with sudo, pipelining and
ControlPersist unless TSN_BENCH_CONNECTION=podman), converged once with ntp_client_verify=false.
Controller memory: the peak of the summed RSS of ansible-playbook and all its children (forks, ssh
processes), sampled every 0.2 s, and the largest single process. Controller CPU: user + system seconds of
ansible-playbook and all its children (getrusage), per converge and per host. Then a re-run with -vvv counts
the remote round trips per client (SSH EXEC lines; podlab's SSH connection only). Prints numbers and the
1+20 / 1+1 ratio (target <= 3x). FORKS defaults to 21 (all hosts of 1+20 in one batch).
Usage: . scripts/env.sh && python benchmarks/scale.py [FORKS] [SIZES...] [--strategy free]
"""

import os
import sys

from anchor import EXEC
from podlab import Lab, cpu_children, machine, podman_platform


def one(size, forks, env):
    lab = Lab('scale', size)
    try:
        lab.up()
        before = cpu_children()
        seconds, _recap, _out = lab.converge(['ntp_client_verify=false'], forks=forks, env=env)
        cpu = cpu_children() - before
        memory = lab.memory
        before = cpu_children()
        rerun, _recap, out = lab.converge(['ntp_client_verify=false'], forks=forks, env=dict(env, ANSIBLE_VERBOSITY='3'))
        rerun_cpu = cpu_children() - before
        addresses = {lab.address(client) for client in lab.clients} | set(lab.clients)
        trips = sum(1 for match in EXEC.finditer(out) if match.group('host') in addresses)
    finally:
        lab.down()
        os.system('rm -rf %s' % lab.dir)
    return {'clients': size, 'seconds': seconds, 'tree_mib': memory['tree_kib'] / 1024.0,
            'largest_mib': memory['largest_kib'] / 1024.0, 'processes': memory['processes'],
            'cpu': cpu, 'rerun': rerun, 'rerun_cpu': rerun_cpu, 'trips': trips / float(size)}


def main():
    args = sys.argv[1:]
    env = {}
    if '--strategy' in args:
        index = args.index('--strategy')
        env['ANSIBLE_STRATEGY'] = args[index + 1]
        del args[index:index + 2]
    forks = int(args[0]) if args else 21
    sizes = [int(n) for n in args[1:]] or [1, 20]
    print('converge scale, forks=%d, strategy %s, Debian 11 containers; %s; %s'
          % (forks, env.get('ANSIBLE_STRATEGY', 'linear'), machine(), podman_platform()), flush=True)
    rows = []
    for size in sizes:
        row = one(size, forks, env)
        rows.append(row)
        print('1 + %-3d clients: converge %6.1f s, peak controller memory %6.1f MiB summed over up to %d processes '
              '(largest process %.1f MiB); load average %.1f'
              % (size, row['seconds'], row['tree_mib'], row['processes'], row['largest_mib'], os.getloadavg()[0]),
              flush=True)
        print('           controller CPU %.1f s (%.2f s per host); re-run with -vvv %.1f s, CPU %.1f s (%.2f s per host), '
              '%.1f remote round trips per client'
              % (row['cpu'], row['cpu'] / (size + 1), row['rerun'], row['rerun_cpu'], row['rerun_cpu'] / (size + 1),
                 row['trips']), flush=True)
    if len(rows) > 1:
        print('ratio 1+%d / 1+%d: %.2fx (target <= 3x)'
              % (rows[-1]['clients'], rows[0]['clients'], rows[-1]['seconds'] / rows[0]['seconds']))


if __name__ == '__main__':
    main()
