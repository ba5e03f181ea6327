"""Benchmark: converge wall time and peak controller memory for 1 server + 1, 5 and 20 clients.

Each size runs in a child process, so that its peak RSS (the largest controller process:
ansible-playbook or one of its forks) is measured alone. Prints numbers and the 1+20 / 1+1
ratio (target <= 3x). Usage: . scripts/env.sh && python benchmarks/scale.py [FORKS] [SIZES...]
"""

import json
import resource
import subprocess
import sys

from podlab import Lab, machine


def one(size, forks):
    lab = Lab('scale', size)
    try:
        lab.up()
        seconds, _recap, _out = lab.converge(['ntp_client_verify=false'], forks=forks)
    finally:
        lab.down()
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({'clients': size, 'seconds': seconds, 'peak_rss_mib': peak_kib / 1024.0}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--one':
        one(int(sys.argv[2]), int(sys.argv[3]))
        return
    forks = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    sizes = [int(n) for n in sys.argv[2:]] or [1, 5, 20]
    print('converge scale, forks=%d, Debian 11 podman containers; %s' % (forks, machine()))
    rows = []
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, '--one', str(size), str(forks)], check=True,
                             text=True, stdout=subprocess.PIPE).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print('1 + %-3d clients: converge %6.1f s, peak controller RSS %6.1f MiB'
              % (size, row['seconds'], row['peak_rss_mib']))
    if len(rows) > 1:
        print('ratio 1+%d / 1+%d: %.2fx (target <= 3x)'
              % (rows[-1]['clients'], rows[0]['clients'], rows[-1]['seconds'] / rows[0]['seconds']))


if __name__ == '__main__':
    main()
