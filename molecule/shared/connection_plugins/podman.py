# Test harness only: not part of the collection (molecule/ is excluded from the built tarball).
"""Connection plugin of the Molecule scenarios: the inventory's ``ansible_connection: podman``
(which the podman driver writes for every platform) reaches the container through nsenter.

Each scenario's molecule.yml puts this directory first in ``connection_plugins``, so the short name
``podman`` resolves here instead of to containers.podman.podman (that one runs podman exec two or
three times per task, without pipelining). See molecule/shared/labkit/nsenter.py for what a command
gets: the container's namespaces and capability bounding set (never CAP_SYS_TIME), a clean environment.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: podman
short_description: Run tasks in a lab container through nsenter (test harness)
description:
  - Replaces containers.podman.podman for the Molecule scenarios of timesec.ntp; pipelined, as root.
author: timesec.ntp maintainers
options:
  remote_addr:
    description: The container's name.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_podman_host
  podman_executable:
    description: Accepted for compatibility with the podman driver's inventory, not used.
    default: podman
    vars:
      - name: ansible_podman_executable
"""

import os
import shlex
import subprocess
import sys

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection import ConnectionBase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from labkit import nsenter  # noqa: E402  pylint: disable=wrong-import-position


class Connection(ConnectionBase):
    transport = 'podman'
    has_pipelining = True
    always_pipeline_modules = True

    def _connect(self):
        self._connected = True
        return self

    def _run(self, command, in_data=None):
        name = self.get_option('remote_addr')
        try:
            argv = nsenter.shell(name, command)
        except nsenter.ContainerError as exc:
            raise AnsibleConnectionFailure(str(exc)) from exc
        self._display.vvv('NSENTER %s: %s' % (name, command), host=name)
        proc = subprocess.run(argv, input=in_data or b'', stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        return self._run(cmd, in_data)

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        with open(in_path, 'rb') as handle:
            data = handle.read()
        rc, _out, err = self._run('cat > %s' % shlex.quote(out_path), data)
        if rc != 0:
            raise AnsibleError('failed to put %s to %s: %s' % (in_path, out_path, err.decode(errors='replace')))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        rc, out, err = self._run('cat %s' % shlex.quote(in_path))
        if rc != 0:
            raise AnsibleError('failed to fetch %s: %s' % (in_path, err.decode(errors='replace')))
        with open(out_path, 'wb') as handle:
            handle.write(out)

    def close(self):
        self._connected = False
