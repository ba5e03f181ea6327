"""Benchmark: the IFF identity modulus (ntp_server_identity_modulus) against the Autokey start-up.

Side by side, one lab per modulus (MODULI: 1024 bits against 2048, the largest ntp-keygen makes - through
-b 2047, which ntp_keygen passes for 2048: asked for 2048 bits OpenSSL refuses ntp-keygen's DSA parameters and
ntp-keygen exits 0 without a key file, docs/autokey.md): 1 server (our ntp_server role) and
CLIENTS clients (our ntp_client role, shipped defaults), one converge each (ntp_client_verify=false).
1. ntp-keygen -I -b M on each server, RUNS times (what a group key or a rotation costs).
2. RUNS times: restart ntpd on every client of both labs at once; inside each container
   startup_probe.py (as in time_to_sync.py) reports the seconds from ntpd's process start to the first
   reading with the server IFF-verified. Prints each run, the medians and the ratio to the first modulus.
Containers: $TSN_BENCH_PREFIX-iff<M>-* (default tsn-bench-iff<M>-*), removed at the end.
Usage: . scripts/env.sh && python benchmarks/iff_modulus.py [--runs N] [--clients K] [--pause S]
"""

import argparse
import os
import statistics
import subprocess
import time

from podlab import Lab, machine, podman_platform, sh
from time_to_sync import describe, install_probe, probe_all

MODULI = (1024, 2048)
KEYGEN = ('mkdir -p /tmp/tsn-iffbench && cd /tmp/tsn-iffbench && rm -f ntpkey_* && '
          'NTP_KEYGEN_PASSWORD=bench ntp-keygen -I -b %d -s bench -i bench >/dev/null 2>&1 && ls ntpkey_IFFkey_bench.*')
# the prime's size in the group key the role made (decrypted with the lab's password)
PRIME = ('f=$(readlink -f /etc/ntp/ntpkey_iffkey_$(hostname)) && sed 1,2d "$f" | '
         'openssl pkey -passin pass:Bench-Server-1 -text -noout | head -1')


def keygen_seconds(server, modulus):
    start = time.monotonic()
    proc = sh('podman', 'exec', server, 'sh', '-c', KEYGEN % (modulus - 1 if modulus == 2048 else modulus), check=False)
    return time.monotonic() - start if proc.returncode == 0 and 'ntpkey_IFFkey_bench' in proc.stdout else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5, help='ntpd restarts per client (default 5)')
    parser.add_argument('--clients', type=int, default=1, help='clients per modulus (default 1)')
    parser.add_argument('--pause', type=int, default=20, help='quiet seconds before each run (default 20)')
    args = parser.parse_args()

    labs = {modulus: Lab('iff%d' % modulus, args.clients) for modulus in MODULI}
    print('IFF identity modulus vs Autokey start-up, %s; 1 server + %d clients per modulus; %s; %s'
          % (' vs '.join(map(str, MODULI)), args.clients, machine(), podman_platform()))
    keygen = {modulus: [] for modulus in MODULI}
    times = {modulus: [] for modulus in MODULI}
    try:
        for modulus, lab in labs.items():
            lab.up(lab_vars={'ntp_server_identity_modulus': modulus})
            seconds, _recap, _out = lab.converge(['ntp_client_verify=false'])
            prime = sh('podman', 'exec', lab.server, 'sh', '-c', PRIME, check=False).stdout.strip()
            print('%d bits: converge %.0f s; the group key: %s' % (modulus, seconds, prime), flush=True)
            for client in lab.clients:
                install_probe(client)
        for _run in range(args.runs):
            for modulus, lab in labs.items():
                keygen[modulus].append(keygen_seconds(lab.server, modulus))
        clients = {client: modulus for modulus, lab in labs.items() for client in lab.clients}
        for run in range(1, args.runs + 1):
            time.sleep(args.pause)
            results = probe_all(list(clients), timeout=180)
            for client, modulus in clients.items():
                times[modulus].append(results[client]['verified'])
            print('run %d: %s (load average %.1f)' % (run, ', '.join(
                '%d bits %s s' % (modulus, describe(results[client]['verified'])) for client, modulus in clients.items()),
                os.getloadavg()[0]), flush=True)
    finally:
        for lab in labs.values():
            lab.down()
            subprocess.run(['rm', '-rf', lab.dir], check=False)

    print('\nntp-keygen -I -b M on the server (%d runs): ' % args.runs + '; '.join(
        '%d bits median %s s (each: %s)' % (m, describe(statistics.median([v for v in keygen[m] if v] or [0])),
                                           ', '.join(describe(v) for v in keygen[m])) for m in MODULI))
    print('seconds from ntpd start to IFF-verified sys.peer (%d runs, all clients restarted at once):' % args.runs)
    medians = {}
    for modulus in MODULI:
        values = [v for v in times[modulus] if v is not None]
        medians[modulus] = statistics.median(values) if values else None
        print('  %4d bits: median %s s, slowest %s s, timeouts %d; each: %s'
              % (modulus, describe(medians[modulus]), describe(max(values)) if values else 'n/a',
                 times[modulus].count(None), ', '.join(describe(v) for v in times[modulus])))
    base = medians[MODULI[0]]
    for modulus in MODULI[1:]:
        if base and medians[modulus]:
            print('  ratio %d/%d bits (medians): %.2f' % (modulus, MODULI[0], medians[modulus] / base))


if __name__ == '__main__':
    main()
