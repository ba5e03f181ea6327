"""testinfra backend ``nsenter://NAME``: testinfra's podman backend, with labkit.nsenter instead of podman exec."""

from testinfra.backend import base

from labkit import nsenter


class NsenterBackend(base.BaseBackend):
    NAME = 'nsenter'

    def __init__(self, name, *args, **kwargs):
        self.name = name
        super().__init__(name, *args, **kwargs)

    def run(self, command, *args, **kwargs):
        cmd = self.get_command(command, *args)
        argv = nsenter.shell(self.name, cmd)
        out = self.run_local(' '.join(['%s'] * len(argv)), *argv)
        out.command = self.encode(cmd)
        return out
