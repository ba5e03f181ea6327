"""Small podman lab for the benchmarks: containers on a private network, an inventory, a
playbook run and a poll of each client's ntpd. Only talks to containers it created.

Connection (TSN_BENCH_CONNECTION, default ssh), for the playbook runs that are measured:
  ssh     as users reach their hosts: sshd in the containers, the non-root user "tsn" with a key made
          for this lab, site.yml's become through sudo, pipelining on, ControlPersist (Ansible's
          default ssh_args). The login is set up by molecule/shared/ssh_login.yml, the same
          playbook molecule/default's prepare step runs, on an image made from timesec-ntp/debian11
          by ssh_image(): sshd, sudo and a pre-seeded apt cache (lists and the .debs of ntp and
          iptables), which both sides of a comparison get, so no package download is measured.
  podman  podman exec as root (ansible_become false), on timesec-ntp/debian11, as before.
The lab's own probes (ntpq, ps) always use podman exec.

Run the benchmark scripts after `. scripts/env.sh` (scripts/bootstrap.sh installs everything).
Container and network names are <prefix>-<lab>[-server|-clientN]; the prefix comes from the
environment variable TSN_BENCH_PREFIX (default: each script's own, e.g. tsn-bench), so that two
labs running at the same time never share a name.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = 'timesec-ntp/debian11'
PREFIX_ENV = 'TSN_BENCH_PREFIX'
CONNECTION_ENV = 'TSN_BENCH_CONNECTION'
SSH_LOGIN = os.path.join(REPO, 'molecule', 'shared', 'ssh_login.yml')
# Packages whose .debs the SSH image keeps in its apt cache: ours (ntp and python3-cryptography, which
# the roles install; iptables when a lab chooses that firewall) and the baseline's (ntp).
SEEDED = ['ntp', 'python3-cryptography', 'iptables', 'iptables-persistent']
# The SSH image is rebuilt when older than this: within apt's cache_valid_time (3600 s, used by the
# roles and the baseline alike) neither side runs apt-get update.
SSH_IMAGE_MAX_AGE = 45 * 60
PODMAN_VARS = {'ansible_connection': 'containers.podman.podman', 'ansible_become': False}
SSH_ARGS = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes'
# The collection's ntpq reader and what it builds on, as startup_probe.py imports them: copied unchanged
# under <probe dir>/ansible_collections/timesec/ntp/plugins/module_utils/ (probe_files()).
PROBE_READERS = ('status.py', 'ntpq.py')
PROBE_READERS_DIR = 'ansible_collections/timesec/ntp/plugins/module_utils'

# The lab harness (molecule/shared/labkit), shared with the lab command and the scenario tests.
sys.path.insert(0, os.path.join(REPO, 'molecule', 'shared'))
from labkit import hosts, ntp, oracle  # noqa: E402
from labkit import playbook as labkit_playbook  # noqa: E402

# sh(*argv): a command on the controller, stdout and stderr together (the benchmarks' shorthand)
sh = hosts.local


def probe_files(probe_dir):
    """[(local path, path on the guest)] of what benchmarks/startup_probe.py needs in ``probe_dir``: itself and
    the collection's readers (PROBE_READERS) under PROBE_READERS_DIR. Make the directories first (probe_dirs)."""
    files = [(os.path.join(REPO, 'benchmarks', 'startup_probe.py'), '%s/startup_probe.py' % probe_dir)]
    return files + [(os.path.join(REPO, 'plugins', 'module_utils', name), '%s/%s/%s' % (probe_dir, PROBE_READERS_DIR, name))
                    for name in PROBE_READERS]


def probe_dirs(probe_dir):
    """The directories probe_files() writes into."""
    return [probe_dir, '%s/%s' % (probe_dir, PROBE_READERS_DIR)]


def bench_prefix(default_prefix='tsn-bench'):
    return os.environ.get(PREFIX_ENV) or default_prefix


def connection():
    value = os.environ.get(CONNECTION_ENV) or 'ssh'
    if value not in ('ssh', 'podman'):
        raise SystemExit('%s is %r: choose ssh or podman' % (CONNECTION_ENV, value))
    return value


def image_age(name):
    """Seconds since the image was made (None when there is none)."""
    proc = sh('podman', 'image', 'inspect', '--format', '{{.Created.Unix}}', name, check=False)
    return time.time() - int(proc.stdout.strip()) if proc.returncode == 0 else None


def ssh_image(default_prefix='tsn-bench'):
    """The image of the SSH mode, <prefix>/debian11-ssh: made (again) when missing or older than
    SSH_IMAGE_MAX_AGE from timesec-ntp/debian11 with molecule/shared/ssh_login.yml and the .debs
    of SEEDED in its apt cache; returns its name."""
    name = '%s/debian11-ssh' % bench_prefix(default_prefix)
    age = image_age(name)
    if age is not None and age < SSH_IMAGE_MAX_AGE:
        return name
    builder = '%s-imagebuild' % bench_prefix(default_prefix)
    workdir = tempfile.mkdtemp(prefix=builder + '-')
    sh('podman', 'rm', '-f', builder, check=False)
    try:
        sh('podman', 'run', '-d', '--name', builder, '--hostname', builder, '--systemd=always', IMAGE, '/sbin/init')
        inventory = os.path.join(workdir, 'inventory.yml')
        with open(inventory, 'w') as handle:
            handle.write('all:\n  hosts:\n    %s:\n      ansible_python_interpreter: /usr/bin/python3\n' % builder)
        playbook(inventory, SSH_LOGIN, ['tsn_ssh_key=%s/id_ed25519' % workdir])
        sh('podman', 'exec', builder, 'apt-get', 'install', '-y', '--download-only', '--no-install-recommends', *SEEDED)
        sh('podman', 'exec', builder, 'rm', '-f', '/home/tsn/.ssh/authorized_keys')
        sh('podman', 'stop', builder)
        sh('podman', 'commit', '-q', builder, name)
    finally:
        sh('podman', 'rm', '-f', builder, check=False)
        subprocess.run(['rm', '-rf', workdir], check=False)
    return name


def playbook(inventory, path, extra_vars=(), env=None):
    """Run a playbook that is not measured (set-up); raise with its output when it fails."""
    run = labkit_playbook.run(os.path.basename(path), labkit_playbook.argv(path, [inventory], extra_vars=extra_vars),
                              cwd=REPO, env=env)
    if run.rc != 0:
        raise RuntimeError('%s failed:\n%s' % (os.path.basename(path), run.output[-4000:]))


def process_tree(root):
    """{pid: RSS in KiB} of root and all its descendants, from /proc."""
    parents, rss = {}, {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                parents[int(entry)] = int(handle.read().rsplit(')', 1)[1].split()[1])
            with open('/proc/%s/statm' % entry) as handle:
                rss[int(entry)] = int(handle.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') // 1024
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return {pid: rss[pid] for pid in tree if pid in rss}


class MemorySampler(threading.Thread):
    """Peak summed RSS of a process tree (ansible-playbook, its forks, ssh), sampled every 0.2 s."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.largest_kib, self.peak_processes = pid, 0, 0, 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            tree = process_tree(self.pid)
            if tree:
                self.peak_kib = max(self.peak_kib, sum(tree.values()))
                self.largest_kib = max(self.largest_kib, *tree.values())
                self.peak_processes = max(self.peak_processes, len(tree))
            self.stop.wait(0.2)

    def done(self):
        self.stop.set()
        self.join()


def mru_counts(server):
    """{client address: requests the server has seen from it} from the server's MRU list."""
    out = sh('podman', 'exec', server, 'ntpq', '-n', '-c', 'mrulist', check=False).stdout
    counts = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 9 and fields[6].isdigit():
            counts[fields[-1]] = int(fields[6])
    return counts


class Lab:
    def __init__(self, name, clients, prefix=None, default_prefix='tsn-bench', connection_=None):
        """Containers <prefix>-<name>-server and -client1..N on the network <prefix>-<name>.

        prefix: the argument, else $TSN_BENCH_PREFIX, else default_prefix.
        connection_: ssh or podman (default: $TSN_BENCH_CONNECTION, else ssh).
        """
        self.default_prefix = default_prefix
        prefix = '%s-%s' % (prefix or bench_prefix(default_prefix), name)
        self.net = prefix
        self.server = '%s-server' % prefix
        self.clients = ['%s-client%d' % (prefix, i) for i in range(1, clients + 1)]
        self.dir = tempfile.mkdtemp(prefix=prefix + '-')
        self.connection = connection_ or connection()
        self.memory = None

    @property
    def hosts(self):
        return [self.server] + self.clients

    def up(self, host_vars=None, lab_vars=None):
        """Create network and containers and write the inventory.

        host_vars: {host: {variable: value}}; lab_vars: {variable: value} for all hosts.
        """
        host_vars = {host: dict(values) for host, values in (host_vars or {}).items()}
        image = ssh_image(self.default_prefix) if self.connection == 'ssh' else IMAGE
        hosts.start(self.hosts, image, self.net, fresh=True)
        if self.connection == 'ssh':
            connection_vars = {'ansible_connection': 'ansible.builtin.ssh', 'ansible_user': 'tsn',
                               'ansible_ssh_private_key_file': os.path.join(self.dir, 'id_ed25519'),
                               'ansible_ssh_common_args': SSH_ARGS}
            for name in self.hosts:
                host_vars.setdefault(name, {})['ansible_host'] = self.address(name)
        else:
            connection_vars = PODMAN_VARS
        all_vars = dict(connection_vars, ansible_python_interpreter='/usr/bin/python3',
                        ntp_server_export_dir='%s/iffpar' % self.dir,
                        ntp_server_crypto_password='Bench-Server-1', ntp_client_crypto_password='Bench-Client-1',
                        **(lab_vars or {}))
        inventory = os.path.join(self.dir, 'inventory.yml')
        with open(inventory, 'w') as handle:
            handle.write('all:\n  vars:\n%s'
                         '  children:\n    ntp_servers:\n      hosts:\n        %s: %s\n'
                         '    ntp_clients:\n      hosts:\n%s'
                         % (''.join('    %s: %s\n' % (k, json.dumps(v)) for k, v in all_vars.items()),
                            self.server, json.dumps(host_vars.get(self.server, {})),
                            ''.join('        %s: %s\n' % (c, json.dumps(host_vars.get(c, {}))) for c in self.clients)))
        self.inventory = inventory
        if self.connection == 'ssh':
            # The same login molecule/default's prepare step sets up, with a key for this lab.
            playbook(inventory, SSH_LOGIN, ['tsn_ssh_key=%s/id_ed25519' % self.dir],
                     env={'ANSIBLE_FORKS': str(len(self.hosts))})

    def address(self, host):
        return hosts.address(host)

    def env(self):
        """Environment of a measured playbook run: pipelining and a ControlPersist socket directory
        of this lab's own (ssh); nothing extra for podman exec, which has no pipelining."""
        if self.connection != 'ssh':
            return {}
        return {'ANSIBLE_PIPELINING': 'true', 'ANSIBLE_SSH_CONTROL_PATH_DIR': os.path.join(self.dir, 'cp')}

    def down(self):
        hosts.remove(self.hosts, self.net)

    def converge(self, extra_vars=(), forks=None, env=None, playbook='timesec.ntp.site', limit=None):
        """Run site.yml (or another playbook, relative to the repo); return (seconds, recap lines, output).

        self.memory then holds the run's controller memory: peak summed RSS of ansible-playbook and
        all its children (forks, ssh), the largest single process, the most processes at once (KiB).
        """
        samplers = []

        def watch(pid):
            samplers.append(MemorySampler(pid))
            samplers[0].start()
            return samplers[0]

        command = labkit_playbook.argv(playbook, [self.inventory], limit=limit, extra_vars=extra_vars, forks=forks)
        run = labkit_playbook.run('converge', command, cwd=REPO, env=dict(self.env(), **(env or {})), watch=watch)
        seconds, output = run.seconds, run.output
        sampler = samplers[0]
        self.memory = {'tree_kib': sampler.peak_kib, 'largest_kib': sampler.largest_kib,
                       'processes': sampler.peak_processes}
        if run.rc != 0:
            raise RuntimeError('converge failed:\n' + output[-4000:])
        return seconds, [line for line in output.splitlines() if ' : ok=' in line], output

    def status(self, host):
        """The ntp_status_info summary of one host: the collection's own readers, through podman exec."""
        return ntp.status(host)['summary']

    def wait_until(self, names, predicate, timeout=400, interval=1.0):
        """Seconds from now until predicate(status summary) holds on each host (None = timed out)."""
        start = time.monotonic()
        done = {}
        while len(done) < len(names) and time.monotonic() - start < timeout:
            for host in names:
                if host not in done:
                    try:
                        if predicate(self.status(host)):
                            done[host] = time.monotonic() - start
                    except oracle.Disagreement:  # our reader and ntpd's own output differ
                        raise
                    except Exception:  # ntpq not answering yet
                        pass
            time.sleep(interval)
        return {host: done.get(host) for host in names}

    def wait_authenticated(self, timeout=400, interval=1.0):
        """Seconds from now until each client's identity is verified (None = timed out)."""
        return self.wait_until(self.clients, lambda summary: summary['identity_verified'], timeout, interval)

    def ntpd_uptime(self, host):
        """Seconds ntpd has been running in a container (None when it does not run)."""
        out = sh('podman', 'exec', host, 'ps', '-o', 'etimes=', '-C', 'ntpd', check=False).stdout.split()
        return int(out[0]) if out and out[0].isdigit() else None


def podman_platform(default_prefix='tsn-bench'):
    """podman's version, the connection and the image the containers are made from (id, creation date)."""
    version = sh('podman', 'version', '--format', '{{.Client.Version}}').stdout.strip()
    if connection() == 'ssh':
        name = ssh_image(default_prefix)
        how = 'SSH as tsn + sudo, pipelining, ControlPersist'
    else:
        name, how = IMAGE, 'podman exec as root'
    image = sh('podman', 'image', 'inspect', '--format', '{{.Id}} {{.Created}}', name).stdout.split()
    return 'podman %s, connection: %s, image %s (id %s, built %s)' % (version, how, name, image[0][:12], image[1])


def cpu_children():
    """User + system CPU seconds of the finished child processes (ansible-playbook and its forks, ssh) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def client_order(variants, clients, number):
    """[(variant, client)], reversed on every other run so that no variant always goes first."""
    order = list(zip(variants, clients))
    return order[::-1] if number % 2 == 0 else order


def machine():
    cpus = os.cpu_count()
    with open('/proc/meminfo') as handle:
        mem = int(handle.readline().split()[1]) // 1024 // 1024
    return '%d cores, %d GiB, %s' % (cpus, mem, os.uname().release)
