"""Podman containers and commands in them, for the labs, benchmarks and scenario tests."""

import subprocess

from labkit import nsenter

# Every lab container: systemd as PID 1, NET_ADMIN for the firewall code. Never --privileged and never
# CAP_SYS_TIME: ntpd or chronyd would steer this machine's clock.
RUN_FLAGS = ('--cap-add', 'NET_ADMIN', '--systemd=always')


def local(*argv, check=True, capture=True, stdin=None, timeout=None):
    """Run argv on the controller; stdout and stderr together in .stdout when captured."""
    return subprocess.run(argv, check=check, text=True, input=stdin, timeout=timeout,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)


def sh(target, script, stdin=None, check=True, timeout=120):
    """Run ``sh -c script`` in a container (nsenter, as podman exec would), or on the controller (target 'localhost');
    stdout and stderr apart. ``check`` raises AssertionError on a non-zero exit."""
    if target == 'localhost':
        argv = ['sh', '-c', script]
    else:
        argv = nsenter.shell(target, script)
    proc = subprocess.run(argv, input=stdin if stdin is not None else '', stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, errors='replace', check=False)
    if check and proc.returncode != 0:
        raise AssertionError('%s on %s: rc=%s %s' % (script[:80], target, proc.returncode, proc.stderr[-300:]))
    return proc


def out(target, script):
    return sh(target, script).stdout.strip()


def out_local(argv):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True, timeout=120).stdout.strip()


def image_exists(image):
    return subprocess.run(['podman', 'image', 'exists', image], check=False).returncode == 0


def start(names, image, network, fresh=False):
    """The containers ``names`` from ``image`` on ``network`` (created when missing), running.
    Existing ones are kept (and started) unless ``fresh``, which makes them anew."""
    if fresh:
        remove(names, network)
    if local('podman', 'network', 'exists', network, check=False).returncode != 0:
        local('podman', 'network', 'create', network)
    for name in names:
        if local('podman', 'container', 'exists', name, check=False).returncode != 0:
            local('podman', 'run', '-d', '--name', name, '--hostname', name, '--network', network, *RUN_FLAGS,
                  image, '/sbin/init')
        elif out_local(['podman', 'inspect', '-f', '{{.State.Running}}', name]) != 'true':
            local('podman', 'start', name)


def remove(names, network=None):
    """Remove containers (and their network) that a lab created; missing ones are fine. Each container
    is removed on its own and checked (a podman rm of several once left one stopped but not removed)."""
    for name in names:
        for _attempt in range(3):
            local('podman', 'rm', '-f', '-t', '1', name, check=False)
            if local('podman', 'container', 'exists', name, check=False).returncode != 0:
                break
    if network:
        local('podman', 'network', 'rm', network, check=False)


def address(name):
    """The container's IPv4 address on its network."""
    return out_local(['podman', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name])


def restart_container(name):
    """podman stop + start (its systemd then starts the enabled units); returns (started before, after)."""
    before = out_local(['podman', 'inspect', '-f', '{{.State.StartedAt}}', name])
    subprocess.run(['podman', 'stop', name], check=True, stdout=subprocess.DEVNULL, timeout=120)
    subprocess.run(['podman', 'start', name], check=True, stdout=subprocess.DEVNULL, timeout=120)
    after = out_local(['podman', 'inspect', '-f', '{{.State.StartedAt}}', name])
    return before, after


def register_testinfra_backend():
    """Make ``nsenter://NAME`` a testinfra host spec (labkit.testinfra_nsenter), for get_host() and the
    verifier's ``hosts`` option (a scenario's tests/conftest.py calls this)."""
    import testinfra.backend  # pylint: disable=import-outside-toplevel
    testinfra.backend.BACKENDS.setdefault('nsenter', 'labkit.testinfra_nsenter.NsenterBackend')


def container_host(name):
    """A testinfra host for container ``name`` that runs its commands through nsenter (labkit.nsenter)."""
    import testinfra  # pylint: disable=import-outside-toplevel
    register_testinfra_backend()
    return testinfra.get_host('nsenter://' + name)
