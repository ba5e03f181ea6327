"""Benchmark: a second converge of 1 server + N clients.

Prints the wall time of both converges, their ratio (target <= 0.5), the changed count of the
second (must be 0) and the ntp-keygen processes it started (must be 0), proved two ways: a wrapper
placed first on PATH (/usr/local/sbin, also first in sudo's secure_path) in every container after
the first converge logs each start, and the inode, size and mtime of every file in the keys
directories are compared before and after. Connection: podlab's (SSH + sudo + pipelining unless
TSN_BENCH_CONNECTION=podman). Prints numbers only.
Usage: . scripts/env.sh && python benchmarks/idempotence.py [CLIENTS]
"""

import os
import re
import sys
import tempfile

from comparison import PROFILE_ENV
from podlab import Lab, machine, podman_platform, sh

WRAPPER = '#!/bin/sh\necho "$$" >> /var/log/ntp-keygen-runs\nexec /usr/sbin/ntp-keygen "$@"\n'
KEYSDIR = '/etc/ntp'


def key_files(lab):
    """{host: sorted 'name inode size mtime' of every ntpkey_* file} (links by their own inode)."""
    return {host: sorted(sh('podman', 'exec', host, 'sh', '-c',
                            'stat -c "%%n %%i %%s %%Y" %s/ntpkey_* 2>/dev/null || true' % KEYSDIR).stdout.splitlines())
            for host in lab.hosts}


def changed(recap):
    return sum(int(re.search(r'changed=(\d+)', line).group(1)) for line in recap)


def main():
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    lab = Lab('idem', clients)
    logdir = tempfile.mkdtemp(prefix='tsn-idem-logs-')
    try:
        lab.up()
        first, recap1, out1 = lab.converge(['ntp_client_verify=false'], env=PROFILE_ENV)
        memory1 = lab.memory
        keys_before = key_files(lab)
        for host in lab.hosts:
            sh('podman', 'exec', host, 'sh', '-c',
               'cat > /usr/local/sbin/ntp-keygen <<"EOF"\n%sEOF\nchmod 755 /usr/local/sbin/ntp-keygen' % WRAPPER)
        second, recap2, out2 = lab.converge(['ntp_client_verify=false'], env=PROFILE_ENV)
        memory2 = lab.memory
        keys_after = key_files(lab)
        runs = sum(len(sh('podman', 'exec', host, 'sh', '-c', 'cat /var/log/ntp-keygen-runs 2>/dev/null || true')
                       .stdout.split()) for host in lab.hosts)
    finally:
        lab.down()
    for name, out in (('first', out1), ('second', out2)):
        with open(os.path.join(logdir, '%s.log' % name), 'w') as handle:
            handle.write(out)
    print('idempotent re-run, 1 server + %d clients, Debian 11 containers; %s; %s'
          % (clients, machine(), podman_platform()))
    print('first converge  %6.1f s (changed %d)' % (first, changed(recap1)))
    print('second converge %6.1f s (changed %d)' % (second, changed(recap2)))
    print('ansible-playbook logs with the per-task times (profile_tasks) in %s' % logdir)
    print('ratio second/first %.2f (target <= 0.5)' % (second / first))
    print('ntp-keygen processes started by the second converge: %d' % runs)
    files = sum(len(lines) for lines in keys_before.values())
    moved = sum(1 for host in lab.hosts for line in keys_after[host] if line not in keys_before[host])
    print('key files (%s/ntpkey_*) on all hosts: %d; new, replaced or touched by the second converge: %d'
          % (KEYSDIR, files, moved))
    print('peak controller memory (summed RSS of ansible-playbook and children): first %.0f MiB, second %.0f MiB'
          % (memory1['tree_kib'] / 1024.0, memory2['tree_kib'] / 1024.0))


if __name__ == '__main__':
    main()
