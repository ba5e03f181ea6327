"""Benchmark: a second converge of 1 server + N clients.

Prints the wall time of both converges, their ratio (target <= 0.5), the changed count of the
second (must be 0) and the ntp-keygen processes it started (must be 0; counted by a wrapper
placed first on PATH in every container after the first converge). Prints numbers only.
Usage: . scripts/env.sh && python benchmarks/idempotence.py [CLIENTS]
"""

import re
import sys

from podlab import Lab, machine, sh

WRAPPER = '#!/bin/sh\necho "$$" >> /var/log/ntp-keygen-runs\nexec /usr/sbin/ntp-keygen "$@"\n'


def changed(recap):
    return sum(int(re.search(r'changed=(\d+)', line).group(1)) for line in recap)


def main():
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    lab = Lab('idem', clients)
    try:
        lab.up()
        first, recap1, _out1 = lab.converge(['ntp_client_verify=false'])
        for host in lab.hosts:
            sh('podman', 'exec', host, 'sh', '-c',
               'cat > /usr/local/sbin/ntp-keygen <<"EOF"\n%sEOF\nchmod 755 /usr/local/sbin/ntp-keygen' % WRAPPER)
        second, recap2, _out2 = lab.converge(['ntp_client_verify=false'])
        runs = sum(len(sh('podman', 'exec', host, 'sh', '-c', 'cat /var/log/ntp-keygen-runs 2>/dev/null || true')
                       .stdout.split()) for host in lab.hosts)
    finally:
        lab.down()
    print('idempotent re-run, 1 server + %d clients, Debian 11 podman containers; %s' % (clients, machine()))
    print('first converge  %6.1f s (changed %d)' % (first, changed(recap1)))
    print('second converge %6.1f s (changed %d)' % (second, changed(recap2)))
    print('ratio second/first %.2f (target <= 0.5)' % (second / first))
    print('ntp-keygen processes started by the second converge: %d' % runs)


if __name__ == '__main__':
    main()
