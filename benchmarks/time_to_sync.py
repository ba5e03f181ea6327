"""Benchmark: seconds from the end of converge until every client is authenticated by IFF.

Rows: the roles' shipped polling (minpoll 4 / maxpoll 6) and ntpd's stock polling
(minpoll 6 / maxpoll 10). The seed reported about 300 s. Prints numbers; asserts nothing.
Usage: . scripts/env.sh && python benchmarks/time_to_sync.py [CLIENTS]
"""

import sys

from podlab import Lab, machine

ROWS = [
    ('shipped defaults (minpoll 4, maxpoll 6)', []),
    ('ntpd stock polling (minpoll 6, maxpoll 10)', ['ntp_client_minpoll=6', 'ntp_client_maxpoll=10']),
]


def main():
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print('time to authenticated sync, 1 server + %d clients, Debian 11 podman containers; %s'
          % (clients, machine()))
    for label, extra in ROWS:
        lab = Lab('tsn-bench-sync', clients)
        try:
            lab.up()
            converge, _recap, _output = lab.converge(extra + ['ntp_client_verify=false'])
            times = lab.wait_authenticated()
        finally:
            lab.down()
        slowest = None if None in times.values() else max(times.values())
        print('%-45s converge %5.0f s | per client: %s | all authenticated after %s'
              % (label, converge, ', '.join('%s' % ('timeout' if t is None else '%.0f s' % t) for t in times.values()),
                 'timeout' if slowest is None else '%.0f s' % slowest))


if __name__ == '__main__':
    main()
