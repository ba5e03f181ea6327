"""Small podman lab for the benchmarks: containers on a private network, an inventory, a
playbook run and a poll of each client's ntpd. Only talks to containers it created.

Run the benchmark scripts after `. scripts/env.sh` (scripts/bootstrap.sh installs everything).
Container and network names are <prefix>-<lab>[-server|-clientN]; the prefix comes from the
environment variable TSN_BENCH_PREFIX (default: each script's own, e.g. tsn-bench), so that two
labs running at the same time never share a name.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = 'timesec-ntp/debian11'
PREFIX_ENV = 'TSN_BENCH_PREFIX'

sys.path.insert(0, os.path.join(os.environ.get('TSN_COLLECTIONS', ''), ''))
from ansible_collections.timesec.ntp.plugins.module_utils import ntpq  # noqa: E402


def sh(*args, check=True, capture=True):
    return subprocess.run(args, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)


class Lab:
    def __init__(self, name, clients, prefix=None, default_prefix='tsn-bench'):
        """Containers <prefix>-<name>-server and -client1..N on the network <prefix>-<name>.

        prefix: the argument, else $TSN_BENCH_PREFIX, else default_prefix.
        """
        prefix = '%s-%s' % (prefix or os.environ.get(PREFIX_ENV) or default_prefix, name)
        self.net = prefix
        self.server = '%s-server' % prefix
        self.clients = ['%s-client%d' % (prefix, i) for i in range(1, clients + 1)]
        self.dir = tempfile.mkdtemp(prefix=prefix + '-')

    @property
    def hosts(self):
        return [self.server] + self.clients

    def up(self, host_vars=None, lab_vars=None):
        """Create network and containers and write the inventory.

        host_vars: {host: {variable: value}}; lab_vars: {variable: value} for all hosts.
        """
        host_vars = host_vars or {}
        self.down()
        sh('podman', 'network', 'create', self.net)
        for name in self.hosts:
            # Never privileged, never CAP_SYS_TIME: ntpd would steer this machine's clock.
            sh('podman', 'run', '-d', '--name', name, '--hostname', name, '--network', self.net,
               '--cap-add', 'NET_ADMIN', '--systemd=always', IMAGE, '/sbin/init')
        inventory = os.path.join(self.dir, 'inventory.yml')
        with open(inventory, 'w') as handle:
            handle.write('all:\n  vars:\n    ansible_connection: containers.podman.podman\n'
                         '    ansible_python_interpreter: /usr/bin/python3\n    ansible_become: false\n'
                         '    ntp_server_export_dir: %s/iffpar\n'
                         '    ntp_server_crypto_password: Bench-Server-1\n'
                         '    ntp_client_crypto_password: Bench-Client-1\n%s'
                         '  children:\n    ntp_servers:\n      hosts:\n        %s: %s\n'
                         '    ntp_clients:\n      hosts:\n%s'
                         % (self.dir, ''.join('    %s: %s\n' % (k, json.dumps(v)) for k, v in (lab_vars or {}).items()),
                            self.server, json.dumps(host_vars.get(self.server, {})),
                            ''.join('        %s: %s\n' % (c, json.dumps(host_vars.get(c, {}))) for c in self.clients)))
        self.inventory = inventory

    def down(self):
        sh('podman', 'rm', '-f', *self.hosts, check=False)
        sh('podman', 'network', 'rm', self.net, check=False)

    def converge(self, extra_vars=(), forks=None, env=None, playbook='timesec.ntp.site', limit=None):
        """Run site.yml (or another playbook, relative to the repo); return (seconds, recap lines, output)."""
        cmd = ['ansible-playbook', '-i', self.inventory, playbook]
        for item in extra_vars:
            cmd += ['-e', item]
        if forks:
            cmd += ['--forks', str(forks)]
        if limit:
            cmd += ['--limit', limit]
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=dict(os.environ, **(env or {})), check=False)
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError('converge failed:\n' + proc.stdout[-4000:])
        return seconds, [line for line in proc.stdout.splitlines() if ' : ok=' in line], proc.stdout

    def status(self, host):
        """The ntp_status_info summary of one host, parsed from ntpq inside its container."""
        out = sh('podman', 'exec', host, 'ntpq', '-n', '-c', 'as', check=False).stdout
        associations = []
        for row in ntpq.parse_associations(out):
            rv = sh('podman', 'exec', host, 'ntpq', '-n', '-c', 'rv %s' % row['assid'], check=False).stdout
            associations.append(ntpq.association_info(row, ntpq.parse_readvars(rv)))
        rv0 = sh('podman', 'exec', host, 'ntpq', '-n', '-c', 'rv 0', check=False).stdout
        system = ntpq.system_info(ntpq.parse_readvars(rv0))
        return ntpq.summarize(system, associations)

    def wait_until(self, hosts, predicate, timeout=400, interval=1.0):
        """Seconds from now until predicate(status summary) holds on each host (None = timed out)."""
        start = time.monotonic()
        done = {}
        while len(done) < len(hosts) and time.monotonic() - start < timeout:
            for host in hosts:
                if host not in done:
                    try:
                        if predicate(self.status(host)):
                            done[host] = time.monotonic() - start
                    except Exception:  # ntpq not answering yet
                        pass
            time.sleep(interval)
        return {host: done.get(host) for host in hosts}

    def wait_authenticated(self, timeout=400, interval=1.0):
        """Seconds from now until each client's identity is verified (None = timed out)."""
        return self.wait_until(self.clients, lambda summary: summary['identity_verified'], timeout, interval)

    def ntpd_uptime(self, host):
        """Seconds ntpd has been running in a container (None when it does not run)."""
        out = sh('podman', 'exec', host, 'ps', '-o', 'etimes=', '-C', 'ntpd', check=False).stdout.split()
        return int(out[0]) if out and out[0].isdigit() else None


def podman_platform():
    """podman's version and the image the containers are made from (id, creation date)."""
    version = sh('podman', 'version', '--format', '{{.Client.Version}}').stdout.strip()
    image = sh('podman', 'image', 'inspect', '--format', '{{.Id}} {{.Created}}', IMAGE).stdout.split()
    return 'podman %s, image %s (id %s, built %s)' % (version, IMAGE, image[0][:12], image[1])


def machine():
    cpus = os.cpu_count()
    with open('/proc/meminfo') as handle:
        mem = int(handle.readline().split()[1]) // 1024 // 1024
    return '%d cores, %d GiB, %s' % (cpus, mem, os.uname().release)
