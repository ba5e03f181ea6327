# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/chrony.md's platform blocks are roles/ntp_common/vars/chrony.yml, release by release."""

from __future__ import annotations

import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOCK_RE = re.compile(r'^```yaml\n# platform: (\S+)\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


VARS = yaml.safe_load(read('roles', 'ntp_common', 'vars', 'chrony.yml'))
BLOCKS = {release: yaml.safe_load(body) for release, body in BLOCK_RE.findall(read('docs', 'chrony.md'))}


def test_every_release_is_documented():
    assert sorted(BLOCKS) == sorted(VARS['__ntp_common_chrony_releases']) == [
        'Debian_11', 'Debian_12', 'Debian_13', 'RedHat_10', 'RedHat_9', 'Ubuntu_22', 'Ubuntu_24']


@pytest.mark.parametrize('release', sorted(VARS['__ntp_common_chrony_releases']))
def test_block_equals_vars(release):
    expected = dict(VARS['__ntp_common_chrony'], **VARS['__ntp_common_chrony_releases'][release])
    assert BLOCKS[release] == expected


@pytest.mark.parametrize('release', sorted(VARS['__ntp_common_chrony_releases']))
def test_shape_of_a_daemon_entry(release):
    """Every key the tasks read from an __ntp_common_daemons entry (platform_defaults.yml)."""
    defaults = yaml.safe_load(read('roles', 'ntp_common', 'vars', 'platform_defaults.yml'))
    assert set(defaults['__ntp_common_daemons']['ntpsec']) <= set(BLOCKS[release])
