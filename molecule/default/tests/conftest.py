import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

from labkit.hosts import register_testinfra_backend  # noqa: E402

register_testinfra_backend()  # the verifier's hosts are nsenter:// (molecule.yml)
