# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""File formats, DER and the IFF client parameters (module_utils/autokey.py), on real ntp-keygen output."""

from __future__ import annotations

import glob
import shutil
import subprocess

import pytest

from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from ansible_collections.timesec.ntp.plugins.module_utils import autokey
from ansible_collections.timesec.ntp.tests.unit.utils import (
    CLIENT_CERT, CLIENT_HOST, FSTAMP, IFFKEY, KEYGEN_E_OUTPUT, PASSWORD, SERVER_CERT, SERVER_HOST,
    fixture_path, read_fixture,
)


@pytest.mark.parametrize('subdir, name, kind, owner, label', [
    ('server', IFFKEY, 'IFFkey', 'fixgrp', 'ENCRYPTED PRIVATE KEY'),
    ('server', SERVER_HOST, 'RSAhost', 'fixhost', 'ENCRYPTED PRIVATE KEY'),
    ('server', SERVER_CERT, 'RSA-SHA256cert', 'fixhost', 'CERTIFICATE'),
    ('client', CLIENT_HOST, 'RSAhost', 'fixclient', 'ENCRYPTED PRIVATE KEY'),
    ('client', CLIENT_CERT, 'RSA-MD5cert', 'fixclient', 'CERTIFICATE'),
])
def test_fixture_names_and_headers(subdir, name, kind, owner, label):
    assert autokey.parse_filename(name) == {'kind': kind, 'name': owner, 'fstamp': FSTAMP}
    info = autokey.read_key_file(fixture_path(subdir, name))
    assert (info['file'], info['kind'], info['name'], info['fstamp'], info['pem_label']) == (
        name, kind, owner, FSTAMP, label)
    # header_lines() reproduces ntp-keygen's two comment lines (fixtures were made in UTC)
    assert read_fixture(subdir, name).startswith(autokey.header_lines(name, FSTAMP))


@pytest.mark.parametrize('name', ['ntpkey_host_fixhost', 'ntpkey_RSAhost_fixhost', 'README.md',
                                  'ntpkey_RSAhost_fixhost.12ab'])
def test_parse_filename_rejects_links_and_others(name):
    assert autokey.parse_filename(name) is None


def test_certificate_fields():
    cert = autokey.certificate_info(autokey.read_key_file(fixture_path('server', SERVER_CERT))['pem'])
    assert (cert['subject'], cert['issuer'], cert['digest'], cert['trusted']) == (
        'fixhost@fixgrp', 'fixhost@fixgrp', 'sha256', True)
    host = autokey.load_private_key(autokey.read_key_file(fixture_path('server', SERVER_HOST)), PASSWORD)
    assert cert['modulus'] == host.public_key().public_numbers().n
    client = autokey.certificate_info(autokey.read_key_file(fixture_path('client', CLIENT_CERT))['pem'])
    assert (client['subject'], client['digest'], client['trusted']) == ('fixclient@fixgrp', 'md5', False)


def test_ripemd160_certificate_digest():
    # cryptography has no hash for the signature OID 1.3.36.3.3.1.2; the digest must still
    # read as ripemd160, or ntp_keygen digest=RSA-RIPEMD160 would replace the certificate on every run
    path = glob.glob(fixture_path('ripemd', 'ntpkey_RSA-RIPEMD160cert_fixripemd.*'))[0]
    cert = autokey.certificate_info(autokey.read_key_file(path)['pem'])
    assert cert['digest'] == autokey.digest_name('RSA-RIPEMD160') == 'ripemd160'


def test_wrong_password_message_has_no_secret():
    info = autokey.read_key_file(fixture_path('server', IFFKEY))
    with pytest.raises(autokey.AutokeyError) as exc:
        autokey.load_private_key(info, 'Wrong-Secret-42')
    assert 'password' in str(exc.value) and 'Wrong-Secret-42' not in str(exc.value)


@pytest.mark.parametrize('value, encoded', [
    (0, '020100'),
    (0x7f, '02017f'),
    (0x80, '02020080'),        # high bit set: a leading zero keeps it positive
    (0xff00, '020300ff00'),
    (0x0100, '02020100'),
])
def test_der_integer(value, encoded):
    assert autokey.der_integer(value).hex() == encoded


def test_der_integer_long_form_length():
    encoded = autokey.der_integer(1 << 1024)   # 129 content bytes
    assert encoded[:4].hex() == '02818101'
    assert len(encoded) == 3 + 129


def test_der_integer_negative():
    with pytest.raises(ValueError):
        autokey.der_integer(-1)


def test_der_sequence_round_trip():
    values = [0, 1, 0x7f, 0x80, 0xff, 0xff00, (1 << 511) + 12345, (1 << 2048) - 1]
    der = autokey.der_sequence(*[autokey.der_integer(v) for v in values])
    assert autokey.der_integer_sequence(der) == values


@pytest.mark.parametrize('der', [b'\x30\x05\x02\x01\x00', b'\x30', b'\x04\x00', b'\x30\x03\x04\x01\x00'])
def test_der_integer_sequence_rejects_bad_input(der):
    with pytest.raises(autokey.AutokeyError):
        autokey.der_integer_sequence(der)


def _group_numbers():
    info = autokey.read_key_file(fixture_path('server', IFFKEY))
    return info, autokey.iff_group_numbers(autokey.load_private_key(info, PASSWORD))


def test_iffpar_satisfies_the_iff_equation():
    info, (p, q, g, b) = _group_numbers()
    assert p.bit_length() == 512
    text = autokey.iffpar_content(info['name'], info['fstamp'], p, q, g, b)
    assert text.startswith('# ntpkey_iffpar_fixgrp.%d\n' % FSTAMP)
    par = autokey.parse_iffpar(text)
    assert (par['group'], par['fstamp']) == ('fixgrp', info['fstamp'])
    assert (par['p'], par['q'], par['g']) == (p, q, g)
    assert par['priv'] == 1
    # what ntpd checks: g^b * v = 1 (mod p), with b the server's secret
    assert pow(g, b, p) * par['v'] % p == 1
    # the file holds no secret
    assert b not in (par['v'], par['priv'])


def test_ntp_keygen_e_output_is_unusable():
    """Why the collection does not use ``ntp-keygen -e``.

    4.2.8 writes the parameters as an unencrypted PKCS#8 ``PRIVATE KEY``. PKCS#8 stores only the
    private value (1 here), never the public one: a reader recomputes it as g^1 = g, and the
    IFF equation g^b * v = 1 (mod p) no longer holds, so clients cannot verify the server.
    """
    p, q, g, b = _group_numbers()[1]
    text = read_fixture(KEYGEN_E_OUTPUT)
    info = autokey.parse_key_text(text)
    assert (info['kind'], info['name'], info['fstamp'], info['pem_label']) == (
        'iffpar', 'fixgrp', FSTAMP, 'PRIVATE KEY')
    key = load_pem_private_key(info['pem'], None)
    assert isinstance(key, dsa.DSAPrivateKey)
    numbers = key.private_numbers()
    assert numbers.public_numbers.parameter_numbers.p == p
    assert numbers.x == 1
    v = numbers.public_numbers.y
    assert v == g
    assert pow(g, b, p) * v % p != 1
    with pytest.raises(autokey.AutokeyError):
        autokey.parse_iffpar(text)


@pytest.mark.skipif(shutil.which('openssl') is None, reason='openssl is not installed')
def test_openssl_reads_a_traditional_dsa_key(tmp_path):
    info, (p, q, g, b) = _group_numbers()
    path = tmp_path / 'ntpkey_iffpar_fixgrp'
    path.write_text(autokey.iffpar_content(info['name'], info['fstamp'], p, q, g, b))
    proc = subprocess.run(['openssl', 'dsa', '-noout', '-text', '-in', str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'Private-Key: (512 bit)' in proc.stdout
    assert 'priv:' in proc.stdout and 'pub:' in proc.stdout


def test_parse_iffpar_rejects_other_files():
    with pytest.raises(autokey.AutokeyError):
        autokey.parse_iffpar(read_fixture('server', IFFKEY))
    with pytest.raises(autokey.AutokeyError):
        autokey.parse_iffpar('no header\n')


@pytest.mark.parametrize('name', ['fix/grp', '', 'a b', 'host@grp', '-x'])
def test_check_name_rejects(name):
    with pytest.raises(autokey.AutokeyError):
        autokey.check_name('autokey_group', name)
