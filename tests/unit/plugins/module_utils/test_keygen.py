# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exact ntp-keygen command lines and environment (module_utils/keygen.py)."""

from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils.keygen import keygen_command, keygen_environment

BIN = '/usr/sbin/ntp-keygen'
COMMON = dict(hostname='fixhost', group='fixgrp', lifetime=365, digest='RSA-SHA256', modulus=1024,
              identity_modulus=512)


def test_server_full_generation():
    assert keygen_command(BIN, host=True, trusted=True, iff=True, **COMMON) == [
        BIN, '-H', '-T', '-I', '-s', 'fixhost', '-i', 'fixgrp', '-l', '365', '-c', 'RSA-SHA256',
        '-m', '1024', '-b', '512']


def test_certificate_renewal_keeps_host_and_iff_keys():
    # no -H (would replace the host key) and no -I (would replace the group key clients hold)
    assert keygen_command(BIN, host=False, trusted=True, iff=False, **COMMON) == [
        BIN, '-T', '-s', 'fixhost', '-i', 'fixgrp', '-l', '365', '-c', 'RSA-SHA256', '-m', '1024']


def test_client():
    assert keygen_command(BIN, host=True, hostname='fixclient', group='fixgrp', lifetime=365,
                          digest='RSA-MD5', modulus=512, identity_modulus=512) == [
        BIN, '-H', '-s', 'fixclient', '-i', 'fixgrp', '-l', '365', '-c', 'RSA-MD5', '-m', '512']


def test_environment_carries_the_password():
    """keygen_environment puts the password into ntp-keygen's preset variable; that it never reaches
    the command line is proven on the module's real calls (test_ntp_keygen.py,
    test_password_reaches_ntp_keygen_only_through_its_environment)."""
    env = keygen_environment('s3cret pw', '/work/dir')
    assert env == {'NTP_KEYGEN_PASSWORD': 's3cret pw', 'LC_ALL': 'C', 'LANG': 'C', 'HOME': '/work/dir'}


@pytest.mark.parametrize('bits, flag', [(512, '512'), (1024, '1024'), (1536, '1536'), (2048, '2047')])
def test_identity_modulus_2048_is_asked_as_2047(bits, flag):
    """ntp-keygen 4.2.8p15 asked for -b 2048 exits 0 without a key (OpenSSL wants a 256-bit q); -b 2047 makes the
    2048-bit prime (measured)."""
    argv = keygen_command('ntp-keygen', iff=True, identity_modulus=bits)
    assert argv[argv.index('-b') + 1] == flag
