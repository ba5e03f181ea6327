"""Benchmark: Autokey client traffic in steady state where ntpd disciplines its own clock (virtual
machines), the client defaults before 0.3.0 against today's, side by side.

In the podman labs ntpd has no CAP_SYS_TIME (it must never get it: it would steer this machine's
clock), so it never raises its poll interval above minpoll and the containers cannot show steady
state. A virtual machine has a clock of its own, which ntpd inside it disciplines (adjtimex) without
touching this machine's clock.

Lab (names <prefix>-*, prefix $TSN_BENCH_PREFIX or tsn-vm; nothing outside it is contacted):
  - the podman network <prefix> (SUBNET) and the server container <prefix>-srv on it (Debian 11,
    our ntp_server role with its defaults: "restrict ... limited kod", discard average 2);
  - two Debian 11 guests, <prefix>-old and <prefix>-new, qemu with direct kernel boot, virtio disk
    (a qcow2 overlay of one ext4 image), virtio-net on a tap device <prefix>-tapNN enslaved to the
    podman network's bridge, a static address and no default route (they reach only the lab);
  - site.yml over SSH configures them (ntp_client_verify=false):
      old  minpoll 4, maxpoll 6, iburst packets 2 s apart, tos maxdist 1.5 (before 0.3.0)
      new  the shipped defaults (minpoll 3, maxpoll 6, discard minimum 1, tos maxdist 3)
Then:
  1. ntpd restarted on both guests at once (benchmarks/startup_probe.py inside each, as in
     time_to_sync.py): seconds from ntpd's start to an IFF-verified sys.peer; this start begins
     the steady-state window. tcpdump on each tap counts the guest's packets to udp/123 from here on.
  2. Every INTERVAL s for MINUTES: each guest's poll exponent toward the server (ntpq "rv &1 hpoll"),
     ntpd's time constant (tc), offset, frequency, clk_jitter, packets sent; the server's MRU count.
  3. RUNS more restarts (PAUSE s apart) for the time to IFF-verified.
Prints the poll exponent over time, packets per minute in 10-minute bins, in the last LAST minutes
and over the whole window, each old against new as a ratio.

Prerequisites: scripts/bootstrap.sh (podman, image timesec-ntp/debian11, the venv) and, from
Debian's apt: qemu-system-x86 qemu-utils tcpdump e2fsprogs openssh-client. The guest image
(kernel, initrd, ext4 root with linux-image-amd64, openssh-server and ntp preinstalled, ntp.service
masked until the role configures it) is built once from timesec-ntp/debian11 with apt inside a
build container and kept in $TSN_CACHE/vm (about 2 minutes, 2 GiB sparse).
--accel kvm needs a working /dev/kvm; on this project's machine (itself a Firecracker VM) nested
KVM hangs after the kernel's real-mode setup, so the default is tcg (emulation, ~1.5 min boot;
the guests then use the hpet clocksource, see --clocksource).
Usage: . scripts/env.sh && python benchmarks/steady_state_vm.py [--minutes 60] [--runs 3]
       (takes MINUTES + about 15 minutes; --keep leaves the lab up, --no-setup reuses a kept one)
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from podlab import REPO, IMAGE, PREFIX_ENV, machine, mru_counts, probe_dirs, probe_files, sh

SUBNET = '10.231.77'
SERVER_IP = SUBNET + '.10'
# name, last octet, host variables, label
ROWS = [
    ('old', 21, {'ntp_client_minpoll': 4, 'ntp_client_maxpoll': 6, 'ntp_client_discard_minimum': 2,
                 'ntp_client_maxdist': 1.5}, 'before 0.3.0: minpoll 4, maxpoll 6, burst 2 s, maxdist 1.5'),
    ('new', 22, {}, 'shipped defaults: minpoll 3, maxpoll 6, burst 1 s, maxdist 3'),
]
CACHE = os.path.join(os.environ.get('TSN_CACHE') or os.path.expanduser('~/.cache/timesec-ntp'), 'vm')
GUEST_PACKAGES = ['linux-image-amd64', 'initramfs-tools', 'openssh-server', 'ntp', 'python3-cryptography', 'iproute2', 'procps']
VAR_RE = re.compile(r'\b([a-z_]+)=([^,\s]+)')
PROBE_DIR = '/root/tsn-probe'


def prefix():
    return os.environ.get(PREFIX_ENV) or 'tsn-vm'


def ssh_args(key):
    return ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
            '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', '-o', 'BatchMode=yes']


def build_image():
    """Kernel, initrd and ext4 root image of the guests in CACHE (kept; rebuilt when missing)."""
    paths = {name: os.path.join(CACHE, name) for name in ('vmlinuz', 'initrd.img', 'base.img', 'id')}
    if all(os.path.exists(path) for path in paths.values()):
        return paths
    os.makedirs(CACHE, exist_ok=True)
    build = '%s-build' % prefix()
    root = tempfile.mkdtemp(prefix='tsn-vm-root-', dir=CACHE)
    sh('podman', 'rm', '-f', build, check=False)
    # ntp.service masked before the package installs, as the roles do: no start on the stock
    # config (public pool servers); the role unmasks it once its ntp.conf is in place.
    sh('podman', 'run', '--name', build, IMAGE, 'bash', '-ec',
       'export DEBIAN_FRONTEND=noninteractive; ln -sf /dev/null /etc/systemd/system/ntp.service; '
       'apt-get update -q; apt-get install -y -q --no-install-recommends %s; apt-get clean'
       % ' '.join(GUEST_PACKAGES))
    export = subprocess.Popen(['podman', 'export', build], stdout=subprocess.PIPE)
    subprocess.run(['tar', '-C', root, '-x'], stdin=export.stdout, check=True)
    export.wait()
    sh('podman', 'rm', build)
    if not os.path.exists(paths['id']):
        sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', paths['id'])

    def write(path, text, mode=0o644):
        full = os.path.join(root, path.lstrip('/'))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as handle:
            handle.write(text)
        os.chmod(full, mode)

    write('/etc/machine-id', '')  # each guest makes its own at first boot
    os.remove(os.path.join(root, 'etc/hostname'))  # systemd.hostname= on the kernel command line
    write('/etc/fstab', '/dev/vda / ext4 defaults 0 1\n')
    # podman export leaves the container's /etc/hosts (a bind mount) with ::1 only; ntpq asks "localhost".
    write('/etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n')
    write('/etc/ntp.conf', '# placeholder: the timesec.ntp roles write this file\n')
    with open(paths['id'] + '.pub') as handle:
        write('/root/.ssh/authorized_keys', handle.read(), 0o600)
    os.chmod(os.path.join(root, 'root/.ssh'), 0o700)
    with open(os.path.join(root, 'etc/ssh/sshd_config'), 'a') as handle:
        handle.write('PermitRootLogin prohibit-password\nUseDNS no\n')
    os.symlink('/lib/systemd/system/systemd-networkd.service',
               os.path.join(root, 'etc/systemd/system/multi-user.target.wants/systemd-networkd.service'))
    for _key, octet, _vars, _label in ROWS:
        # The address by MAC address; no gateway, no IPv6: the guests reach only the lab network.
        write('/etc/systemd/network/10-tsn-vm-%d.network' % octet,
              '[Match]\nMACAddress=52:54:00:77:00:%d\n[Network]\nAddress=%s.%d/24\n'
              'LinkLocalAddressing=no\nIPv6AcceptRA=no\n' % (octet, SUBNET, octet))
    boot = os.path.join(root, 'boot')
    shutil.copy(os.path.join(boot, [n for n in os.listdir(boot) if n.startswith('vmlinuz-')][0]), paths['vmlinuz'])
    shutil.copy(os.path.join(boot, [n for n in os.listdir(boot) if n.startswith('initrd.img-')][0]), paths['initrd.img'])
    sh('mkfs.ext4', '-q', '-F', '-L', 'root', '-d', root, paths['base.img'], '2G')
    shutil.rmtree(root)
    return paths


class VmLab:
    def __init__(self, lab_dir, accel):
        self.prefix = prefix()
        self.net = self.prefix
        self.server = '%s-srv' % self.prefix
        self.dir = lab_dir
        self.accel = accel
        self.guests = {key: {'name': '%s-%s' % (self.prefix, key), 'ip': '%s.%d' % (SUBNET, octet),
                             'tap': '%s-tap%d' % (self.prefix, octet), 'mac': '52:54:00:77:00:%d' % octet,
                             'vars': host_vars, 'label': label}
                       for key, octet, host_vars, label in ROWS}
        self.key = os.path.join(CACHE, 'id')
        self.inventory = os.path.join(lab_dir, 'inventory.yml')

    def bridge(self):
        out = sh('podman', 'network', 'inspect', '-f', '{{.NetworkInterface}}', self.net).stdout.strip()
        return out

    def up(self, paths):
        self.down()
        sh('podman', 'network', 'create', '--subnet', SUBNET + '.0/24', '--gateway', SUBNET + '.1', self.net)
        # Never privileged, never CAP_SYS_TIME: this ntpd must not steer this machine's clock.
        sh('podman', 'run', '-d', '--name', self.server, '--hostname', self.server, '--network', self.net,
           '--ip', SERVER_IP, '--cap-add', 'NET_ADMIN', '--systemd=always', IMAGE, '/sbin/init')
        bridge = self.bridge()
        for key, guest in self.guests.items():
            disk = os.path.join(self.dir, key + '.qcow2')
            sh('qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', paths['base.img'], disk)
            sh('ip', 'tuntap', 'add', guest['tap'], 'mode', 'tap')
            sh('ip', 'link', 'set', guest['tap'], 'master', bridge, 'up')
            sh('qemu-system-x86_64', '-name', guest['name'], '-accel', self.accel, '-m', '384', '-smp', '1',
               '-kernel', paths['vmlinuz'], '-initrd', paths['initrd.img'],
               '-append', 'root=/dev/vda rw console=ttyS0 systemd.hostname=%s' % guest['name'],
               '-drive', 'file=%s,if=virtio,format=qcow2' % disk,
               '-netdev', 'tap,id=n0,ifname=%s,script=no,downscript=no' % guest['tap'],
               '-device', 'virtio-net-pci,netdev=n0,mac=%s' % guest['mac'], '-display', 'none',
               '-serial', 'file:%s' % os.path.join(self.dir, key + '.serial'), '-daemonize',
               '-pidfile', os.path.join(self.dir, key + '.pid'))
        self.write_inventory()
        deadline = time.monotonic() + 600
        for key in self.guests:
            while self.ssh(key, 'true', check=False).returncode != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError('%s did not answer SSH within 600 s (see %s.serial)' % (key, key))
                time.sleep(5)

    def write_inventory(self):
        lines = ['all:', '  vars:', '    ansible_python_interpreter: /usr/bin/python3',
                 '    ansible_become: false', '    ntp_server_export_dir: %s/iffpar' % self.dir,
                 '    ntp_server_crypto_password: Bench-Server-1', '    ntp_client_crypto_password: Bench-Client-1',
                 '  children:', '    ntp_servers:', '      hosts:', '        %s:' % self.server,
                 '          ansible_connection: containers.podman.podman', '    ntp_clients:', '      vars:',
                 '        ansible_user: root', '        ansible_ssh_private_key_file: %s' % self.key,
                 '        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
                 '        ntp_client_servers: [{name: %s, address: %s}]' % (self.server, SERVER_IP),
                 '      hosts:']
        for guest in self.guests.values():
            lines.append('        %s:' % guest['name'])
            lines.append('          ansible_host: %s' % guest['ip'])
            lines += ['          %s: %s' % (name, json.dumps(value)) for name, value in guest['vars'].items()]
        with open(self.inventory, 'w') as handle:
            handle.write('\n'.join(lines) + '\n')

    def converge(self):
        start = time.monotonic()
        proc = subprocess.run(['ansible-playbook', '-i', self.inventory, 'timesec.ntp.site', '-e',
                               'ntp_client_verify=false'], cwd=REPO, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            raise RuntimeError('converge failed:\n' + proc.stdout[-4000:])
        return time.monotonic() - start

    def ssh(self, key, command, check=True):
        return subprocess.run(['ssh'] + ssh_args(self.key) + ['root@' + self.guests[key]['ip'], command],
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=check)

    def copy_probe(self, key):
        self.ssh(key, 'mkdir -p %s' % ' '.join(probe_dirs(PROBE_DIR)))
        for local, remote in probe_files(PROBE_DIR):
            sh('scp', *ssh_args(self.key), local, 'root@%s:%s' % (self.guests[key]['ip'], remote))

    def down(self):
        for key, guest in self.guests.items():
            pidfile = os.path.join(self.dir, key + '.pid')
            if os.path.exists(pidfile):
                with open(pidfile) as handle:
                    pid = int(handle.read().strip() or 0)
                if pid and os.path.exists('/proc/%d' % pid):
                    os.kill(pid, 15)
                os.remove(pidfile)
            sh('ip', 'link', 'del', guest['tap'], check=False)
        sh('podman', 'rm', '-f', self.server, check=False)
        sh('podman', 'network', 'rm', self.net, check=False)


def probe_all(lab, timeout=180):
    """Restart ntpd on every guest at once; {key: startup_probe result}."""
    results = {}

    def one(key):
        out = lab.ssh(key, 'python3 %s/startup_probe.py %d' % (PROBE_DIR, timeout), check=False).stdout
        try:
            results[key] = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            results[key] = {'verified': None, 'events': [], 'error': out[-500:]}

    threads = [threading.Thread(target=one, args=(key,)) for key in lab.guests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


SAMPLE = ("ntpq -n -c as -c 'rv &1 hpoll,ppoll,reach,flags,offset,jitter' -c 'pstats &1'; echo @@; "
          "ntpq -n -c 'rv 0'")  # all of it: a variable list would drop the status line (and 'status' is no variable)


def sample(lab, key):
    out = lab.ssh(key, SAMPLE, check=False).stdout
    peer, _sep, system = out.partition('@@')
    result = {'peer_' + name: value for name, value in VAR_RE.findall(peer)}
    result.update({'sys_' + name: value for name, value in VAR_RE.findall(system)})
    status = re.search(r'status=[0-9a-f]{4} ([^\n]*?),?\s*\n', system)
    if status:  # e.g. "leap_none, sync_ntp, 1 event, freq_mode": the last event tells the loop's state
        result['sys_status'] = status.group(1)
    for line in peer.splitlines():
        if line.startswith('packets sent:'):
            result['sent'] = int(line.split(':')[1])
    return result


def start_capture(lab):
    """tcpdump on each guest's tap: one line per packet from the guest to udp/123."""
    captures = {}
    for key, guest in lab.guests.items():
        path = os.path.join(lab.dir, key + '.packets')
        handle = open(path, 'w')  # pylint: disable=consider-using-with
        proc = subprocess.Popen(['tcpdump', '-i', guest['tap'], '-n', '-l', '-tt', '-q',
                                 'udp and dst port 123 and src host %s' % guest['ip']],
                                stdout=handle, stderr=subprocess.DEVNULL)
        captures[key] = (proc, handle, path)
    time.sleep(2)
    return captures


def stop_capture(captures):
    stamps = {}
    for key, (proc, handle, path) in captures.items():
        proc.terminate()
        proc.wait()
        handle.close()
        with open(path) as lines:
            stamps[key] = [float(line.split()[0]) for line in lines if line[:1].isdigit()]
    return stamps


def per_minute(stamps, start, end):
    return sum(1 for stamp in stamps if start <= stamp < end) * 60.0 / (end - start)


def ratio(new, old):
    return 'n/a' if not old else '%.2f' % (new / old)


def report(lab, starts, restarts, samples, stamps, t0, t_end, last):
    keys = list(lab.guests)
    print('\nseconds from ntpd start to IFF-verified sys.peer (ntpd restarted on both guests at once)')
    for key in keys:
        values = [starts[key]] + restarts.get(key, [])
        got = [v for v in values if v is not None]
        print('  %-3s %-58s each %s; median %s' % (key, lab.guests[key]['label'],
                                                   ', '.join('timeout' if v is None else '%.1f' % v for v in values),
                                                   '%.1f' % statistics.median(got) if got else 'n/a'))

    print('\npoll exponent toward the server (hpoll) over time: minute of the first sample at each value')
    for key in keys:
        seen = []
        for record in samples:
            hpoll = record[key].get('peer_hpoll')
            if hpoll is not None and (not seen or seen[-1][1] != hpoll):
                seen.append((record['minute'], hpoll))
        print('  %-3s %s' % (key, ', '.join('%s from %.1f min' % (h, m) for m, h in seen)))
    print('  system time constant tc / offset / frequency / clk_jitter at the end:')
    for key in keys:
        final = samples[-1][key] if samples else {}
        print('  %-3s tc %s, offset %s ms, frequency %s ppm, clk_jitter %s ms, status %s'
              % (key, final.get('sys_tc'), final.get('sys_offset'), final.get('sys_frequency'),
                 final.get('sys_clk_jitter'), final.get('sys_status')))

    print('\nclient packets to udp/123 per minute (tcpdump on the tap), minutes since the start of step 1')
    print('  %-11s %8s %8s %6s' % ('minutes', keys[0], keys[1], 'ratio'))
    span = (t_end - t0) / 60.0
    edge = 0
    while span - edge > 0.5:  # no bin for a few seconds of rounding
        a, b = t0 + edge * 60, min(t0 + (edge + 10) * 60, t_end)
        values = [per_minute(stamps[key], a, b) for key in keys]
        print('  %-11s %8.2f %8.2f %6s' % ('%d-%d' % (edge, round((b - t0) / 60)), values[0], values[1],
                                           ratio(values[1], values[0])))
        edge += 10
    last_start = max(t0, t_end - last * 60)
    values = [per_minute(stamps[key], last_start, t_end) for key in keys]
    print('  last %d min: %s %.2f, %s %.2f per min, ratio %s/%s %s'
          % (round((t_end - last_start) / 60), keys[0], values[0], keys[1], values[1], keys[1], keys[0], ratio(values[1], values[0])))
    totals = [sum(1 for s in stamps[key] if t0 <= s < t_end) for key in keys]
    print('  whole %.0f min: %s %d, %s %d packets, ratio %s'
          % (span, keys[0], totals[0], keys[1], totals[1], ratio(totals[1], totals[0])))
    tail = [record for record in samples if record['time'] >= last_start]
    if len(tail) >= 2:
        cross = []
        for key in keys:
            sent = (tail[-1][key].get('sent') or 0) - (tail[0][key].get('sent') or 0)
            seen = tail[-1]['mru'].get(lab.guests[key]['ip'], 0) - tail[0]['mru'].get(lab.guests[key]['ip'], 0)
            minutes = (tail[-1]['time'] - tail[0]['time']) / 60.0
            cross.append('%s %.2f / %.2f' % (key, sent / minutes, seen / minutes))
        print('  same window, ntpd counters (client "packets sent" / server MRU list) per min: %s' % '; '.join(cross))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=60, help='steady-state window (default 60)')
    parser.add_argument('--interval', type=float, default=60, help='seconds between samples (default 60)')
    parser.add_argument('--last', type=float, default=20, help='minutes at the end to compare (default 20)')
    parser.add_argument('--runs', type=int, default=3, help='restarts after the window (default 3)')
    parser.add_argument('--pause', type=int, default=60, help='seconds before each restart (default 60)')
    parser.add_argument('--accel', default='tcg', choices=['tcg', 'kvm'], help='qemu accelerator (default tcg)')
    parser.add_argument('--clocksource', default='hpet',
                        help='guest clocksource before the start ("" = the kernel\'s choice; default hpet: the '
                             'same for both guests; under tcg the TSC calibration differs between boots)')
    parser.add_argument('--lab-dir', default=os.path.join(CACHE, 'lab'), help='inventory, disks, logs')
    parser.add_argument('--no-setup', action='store_true', help='reuse a lab left by --keep (already converged)')
    parser.add_argument('--keep', action='store_true', help='leave the lab running at the end')
    args = parser.parse_args()

    os.makedirs(args.lab_dir, exist_ok=True)
    lab = VmLab(args.lab_dir, args.accel)
    print('Autokey steady state in virtual machines, old client defaults vs new; %s; qemu %s (%s); %s'
          % (machine(), sh('qemu-system-x86_64', '--version').stdout.split()[3], args.accel,
             time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())), flush=True)
    samples = []
    try:
        if not args.no_setup:
            paths = build_image()
            lab.up(paths)
            print('converge %.0f s' % lab.converge(), flush=True)
        for key, guest in lab.guests.items():
            lab.copy_probe(key)
            if args.clocksource:
                lab.ssh(key, 'echo %s > /sys/devices/system/clocksource/clocksource0/current_clocksource'
                        % args.clocksource)
            # Same start for both: no drift file (ntpd measures the frequency itself, as on a new host).
            lab.ssh(key, 'systemctl stop ntp; rm -f /var/lib/ntp/ntp.drift')
            conf = lab.ssh(key, "grep -E '^(server|discard|tos)' /etc/ntp.conf").stdout
            clock = lab.ssh(key, 'cat /sys/devices/system/clocksource/clocksource0/current_clocksource').stdout
            print('  %s (%s): %s; clocksource %s' % (guest['name'], key, '; '.join(conf.strip().splitlines()),
                                                     clock.strip()), flush=True)
        captures = start_capture(lab)
        t0 = time.time()
        first = probe_all(lab)
        starts = {key: result['verified'] for key, result in first.items()}
        print('start: %s' % ', '.join('%s %s s' % (k, v) for k, v in starts.items()), flush=True)
        for key, result in first.items():
            print('  timeline %s: %s' % (key, '; '.join('%.1f %s' % (t, what) for t, what in result['events'])))
        while time.time() - t0 < args.minutes * 60:
            time.sleep(max(0, t0 + (len(samples) + 1) * args.interval - time.time()))
            record = {'time': time.time(), 'minute': (time.time() - t0) / 60.0, 'mru': mru_counts(lab.server)}
            for key in lab.guests:
                record[key] = sample(lab, key)
            samples.append(record)
            with open(os.path.join(args.lab_dir, 'samples.jsonl'), 'a') as handle:
                handle.write(json.dumps(record) + '\n')
            print('  %5.1f min: %s (load %.1f)' % (record['minute'], '; '.join(
                '%s hpoll %s tc %s offset %s sent %s' % (key, record[key].get('peer_hpoll'), record[key].get('sys_tc'),
                                                         record[key].get('sys_offset'), record[key].get('sent'))
                for key in lab.guests), os.getloadavg()[0]), flush=True)
        t_end = time.time()
        stamps = stop_capture(captures)
        restarts = {key: [] for key in lab.guests}
        for run in range(args.runs):
            time.sleep(args.pause)
            results = probe_all(lab)
            for key, result in results.items():
                restarts[key].append(result['verified'])
            print('restart %d: %s' % (run + 1, ', '.join('%s %s s' % (k, r['verified']) for k, r in results.items())),
                  flush=True)
        report(lab, starts, restarts, samples, stamps, t0, t_end, args.last)
        stats = sh('podman', 'exec', lab.server, 'ntpq', '-c', 'sysstats', check=False).stdout
        limited = [line.strip() for line in stats.splitlines() if line.startswith(('rate limited', 'KoD'))]
        print('server: %s' % '; '.join(limited))
    finally:
        if not args.keep:
            lab.down()


if __name__ == '__main__':
    main()
