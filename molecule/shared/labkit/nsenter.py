"""Commands in a lab container through nsenter instead of ``podman exec``.

``podman exec`` starts podman, conmon and runc for every command: about 0.2 s on an idle machine
and over a second under the suite's load, most of it system CPU (measured in session 8,
docs/tooling.md "nsenter"). Every task of every host, every testinfra check and every poll of a
wait loop paid that. ``nsenter`` joins the namespaces of the container's PID 1 in a few
milliseconds.

What podman exec would give the command, it gets here too:
- the container's namespaces (mount, UTS, IPC, network, PID, cgroup), its root and working directory;
- the container's capability bounding set, read from its PID 1 (``CapBnd``), applied with the
  container's own ``setpriv`` before the command runs. A container of ours never holds
  CAP_SYS_TIME; a command entered here cannot either (checked on every call, and ``date -s``
  fails with EPERM);
- a clean environment (``env -i``) with the container's PATH.

Used by the Ansible connection plugin of the scenarios (molecule/shared/connection_plugins/podman.py),
by labkit.hosts.sh and by the testinfra backend ``nsenter://`` (registered by labkit.hosts).
"""

import os
import subprocess
import tempfile

# Linux capability numbers (include/uapi/linux/capability.h) to the names setpriv takes.
CAPABILITIES = (
    'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid',
    'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw',
    'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct',
    'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod',
    'lease', 'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog',
    'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf', 'checkpoint_restore',
)
FORBIDDEN = ('sys_time', 'sys_admin', 'sys_module')
PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# PID 1 of each container, cached across processes (Ansible forks a worker per task and host):
# "<pid> <start time>" per container name; a restarted container has a new PID 1, so a cached PID
# whose start time differs (or that is gone) is looked up again.
CACHE = os.environ.get('TSN_NSENTER_CACHE', '/run/tsn-nsenter')


class ContainerError(RuntimeError):
    pass


def _start_time(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError, ValueError):
        return None


def _cache_path(name):
    return os.path.join(CACHE, name.replace('/', '_'))


def init_pid(name):
    """PID (on this machine) of the container's PID 1; raises ContainerError when it does not run."""
    try:
        with open(_cache_path(name)) as handle:
            pid, started = handle.read().split()
        if _start_time(int(pid)) == started:
            return int(pid)
    except (OSError, ValueError):
        pass
    proc = subprocess.run(['podman', 'inspect', '--type', 'container', '--format', '{{.State.Pid}}', name],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False, timeout=120)
    pid = int(proc.stdout.strip() or 0) if proc.returncode == 0 else 0
    started = _start_time(pid) if pid > 0 else None
    if not started:
        raise ContainerError('container %s is not running (podman inspect: rc=%s %s)'
                             % (name, proc.returncode, (proc.stderr or proc.stdout).strip()[-200:]))
    os.makedirs(CACHE, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=CACHE)
    with os.fdopen(fd, 'w') as handle:
        handle.write('%d %s\n' % (pid, started))
    os.replace(tmp, _cache_path(name))
    return pid


def bounding_set(pid):
    """The capability names of the process's bounding set (/proc/PID/status CapBnd)."""
    with open('/proc/%d/status' % pid) as handle:
        mask = next(int(line.split()[1], 16) for line in handle if line.startswith('CapBnd:'))
    names = [cap for bit, cap in enumerate(CAPABILITIES) if mask >> bit & 1]
    held = [cap for cap in FORBIDDEN if cap in names]
    if held or mask >> len(CAPABILITIES):
        raise ContainerError('PID %d holds %s: lab containers must never get them' % (pid, held or 'unknown capabilities'))
    return names


def argv(name, command):
    """argv that runs ``command`` (a list) inside container ``name`` as podman exec would (as root)."""
    pid = init_pid(name)
    caps = ','.join(['-all'] + ['+' + cap for cap in bounding_set(pid)])
    return ['nsenter', '--target', str(pid), '--all', '--root', '--wd',
            'setpriv', '--inh-caps=-all', '--bounding-set=' + caps, '--',
            'env', '-i', 'PATH=' + PATH, 'HOME=/root', 'LANG=C.UTF-8', 'container=podman'] + list(command)


def shell(name, script):
    """argv for ``sh -c script`` in the container."""
    return argv(name, ['/bin/sh', '-c', script])
