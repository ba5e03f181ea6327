# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Autokey key material as ntp-keygen 4.2.8 writes it, shared by the timesec.ntp modules.

Everything that knows the ntp-keygen file formats lives here: the two-line
header (``# ntpkey_<kind>_<name>.<filestamp>`` and a date), the file and link
names, PEM/DER handling, the certificate fields ntpd cares about and the IFF
client parameters that ``ntp-keygen -e`` gets wrong (see docs/autokey.md).
"""

from __future__ import annotations

import base64
import datetime
import os
import re
import time
import traceback

try:
    from cryptography import x509
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives.asymmetric import dsa, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from cryptography.x509.oid import ExtensionOID, NameOID
except ImportError:  # pragma: no cover - exercised through missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

# Seconds between the NTP era 0 epoch (1900) and the Unix epoch; ntp-keygen
# filestamps are NTP seconds.
NTP_UNIX_OFFSET = 2208988800

# ntp-keygen marks a trusted (-T) certificate with extendedKeyUsage "trustRoot".
TRUST_ROOT_OID = '1.3.6.1.5.5.7.48.1.11'

# Signature algorithms ntp-keygen -c offers that cryptography cannot map to a hash
# (signature_hash_algorithm raises UnsupportedAlgorithm): RSA-RIPEMD160.
SIGNATURE_OID_DIGEST = {'1.3.36.3.3.1.2': 'ripemd160'}

# Host and group names end up in file names and in ntp.conf: no '/', no
# whitespace, no '@' (it separates host and group in a certificate subject).
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,252}\Z')

# First line of every ntp-keygen file; the kind never contains '_'.
HEADER_RE = re.compile(r'^# (?P<file>ntpkey_(?P<kind>[A-Za-z0-9-]+?)_(?P<name>[^\s/]+)\.(?P<fstamp>[0-9]+))\s*\Z')
FILE_RE = re.compile(r'^ntpkey_(?P<kind>[A-Za-z0-9-]+?)_(?P<name>[^\s/]+)\.(?P<fstamp>[0-9]+)\Z')
PEM_RE = re.compile(r'-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n.*?-----END (?P=label)-----\r?\n?', re.DOTALL)

# The links ntpd opens in keysdir, by role of the file.
LINK_PREFIX = {
    'host': 'ntpkey_host_',
    'cert': 'ntpkey_cert_',
    'iffkey': 'ntpkey_iffkey_',
    'iffpar': 'ntpkey_iffpar_',
}


class AutokeyError(Exception):
    """A problem with key material; the message says what to fix and never holds a secret."""


def valid_name(name):
    return bool(name) and NAME_RE.match(name) is not None


def check_name(what, name):
    if not valid_name(name):
        raise AutokeyError(
            '%s is not usable in ntp-keygen file names (not shown): use letters, digits, '
            "'.', '-' or '_' only (no '/', whitespace or '@')" % what)


def ntp_to_datetime(fstamp):
    return datetime.datetime.fromtimestamp(int(fstamp) - NTP_UNIX_OFFSET, tz=datetime.timezone.utc)


def now_fstamp():
    return int(time.time()) + NTP_UNIX_OFFSET


def header_lines(filename, fstamp):
    """The two comment lines ntp-keygen writes, made deterministic (UTC from the filestamp)."""
    stamp = time.asctime(time.gmtime(int(fstamp) - NTP_UNIX_OFFSET))
    return '# %s\n# %s\n' % (filename, stamp)


def parse_filename(filename):
    """Split ``ntpkey_RSAhost_host.3426211635`` into kind, name and filestamp (or None)."""
    match = FILE_RE.match(os.path.basename(filename))
    if not match:
        return None
    return {'kind': match.group('kind'), 'name': match.group('name'), 'fstamp': int(match.group('fstamp'))}


def parse_key_text(text, source='key file'):
    """Return header fields and the PEM block of an ntp-keygen file's text."""
    first = text.split('\n', 1)[0]
    match = HEADER_RE.match(first)
    if not match:
        raise AutokeyError('%s does not start with an ntp-keygen header line' % source)
    pem = PEM_RE.search(text)
    if not pem:
        raise AutokeyError('%s holds no PEM block' % source)
    return {
        'file': match.group('file'),
        'kind': match.group('kind'),
        'name': match.group('name'),
        'fstamp': int(match.group('fstamp')),
        'pem_label': pem.group('label'),
        'pem': pem.group(0).encode('ascii'),
    }


def read_key_file(path):
    try:
        with open(path, 'r') as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        raise AutokeyError('cannot read %s: %s' % (path, exc.strerror or exc)) from exc
    except UnicodeDecodeError as exc:
        raise AutokeyError('%s is not an ntp-keygen text file' % path) from exc
    info = parse_key_text(text, path)
    info['path'] = path
    return info


def load_private_key(info, password):
    """Decrypt the PEM of ``info`` (from read_key_file) with ``password``."""
    try:
        return load_pem_private_key(info['pem'], password.encode('utf-8') if password else None,
                                    backend=default_backend())
    except (ValueError, TypeError) as exc:
        # The library's message is generic ("Bad decrypt ..."); it never holds the password,
        # but ours names the fix instead.
        raise AutokeyError('cannot decrypt %s with the given password' % info.get('path', info['file'])) from exc


# --- DER / PEM ---------------------------------------------------------------------------

def _der_length(length):
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(raw)]) + raw


def der_integer(value):
    if value < 0:
        raise ValueError('negative integers are not used in DSA keys')
    body = value.to_bytes(value.bit_length() // 8 + 1, 'big')
    return b'\x02' + _der_length(len(body)) + body


def der_sequence(*items):
    body = b''.join(items)
    return b'\x30' + _der_length(len(body)) + body


def der_integer_sequence(data):
    """Decode a DER SEQUENCE of INTEGERs (what a traditional DSA key is) into a list of ints."""
    def take(buf, pos):
        tag = buf[pos]
        length = buf[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7f
            length = int.from_bytes(buf[pos:pos + count], 'big')
            pos += count
        if pos + length > len(buf):
            raise AutokeyError('truncated DER data')
        return tag, buf[pos:pos + length], pos + length

    try:
        tag, body, end = take(data, 0)
        if tag != 0x30 or end != len(data):
            raise AutokeyError('DER data is not a single SEQUENCE')
        values, pos = [], 0
        while pos < len(body):
            tag, raw, pos = take(body, pos)
            if tag != 0x02:
                raise AutokeyError('DER SEQUENCE holds something other than INTEGERs')
            values.append(int.from_bytes(raw, 'big'))
        return values
    except IndexError as exc:
        raise AutokeyError('truncated DER data') from exc


def pem_encode(label, der):
    b64 = base64.b64encode(der).decode('ascii')
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return '-----BEGIN %s-----\n%s\n-----END %s-----\n' % (label, '\n'.join(lines), label)


def pem_decode(pem):
    match = PEM_RE.search(pem.decode('ascii') if isinstance(pem, bytes) else pem)
    if not match:
        raise AutokeyError('no PEM block found')
    body = match.group(0).strip().split('\n')[1:-1]
    return match.group('label'), base64.b64decode(''.join(line.strip() for line in body))


# --- IFF ------------------------------------------------------------------------------------

def iff_public_value(p, q, g, b):
    """The client's IFF value v = g^(q-b) mod p, so that g^b * v = 1 (mod p)."""
    return pow(g, q - b, p)


def iffpar_filename(group, fstamp):
    return 'ntpkey_iffpar_%s.%d' % (group, fstamp)


def iffpar_content(group, fstamp, p, q, g, b):
    """Client parameters that ntpd 4.2.8 can verify (docs/autokey.md).

    A traditional ``DSA PRIVATE KEY`` (version, p, q, g, pub, priv) with
    pub = g^(q-b) mod p and priv = 1, behind the ``ntpkey_iffpar_<group>.<fstamp>``
    header: the filestamp is the server IFF key's, which ntpd compares.
    """
    der = der_sequence(der_integer(0), der_integer(p), der_integer(q), der_integer(g),
                       der_integer(iff_public_value(p, q, g, b)), der_integer(1))
    return header_lines(iffpar_filename(group, fstamp), fstamp) + pem_encode('DSA PRIVATE KEY', der)


def parse_iffpar(text, source='IFF parameters'):
    """Return group, filestamp and the numbers of a client parameters file."""
    info = parse_key_text(text, source)
    if info['kind'] != 'iffpar' or info['pem_label'] != 'DSA PRIVATE KEY':
        raise AutokeyError('%s is not an IFF client parameters file' % source)
    numbers = der_integer_sequence(pem_decode(info['pem'])[1])
    if len(numbers) != 6 or numbers[0] != 0:
        raise AutokeyError('%s is not a traditional DSA key' % source)
    return {'group': info['name'], 'fstamp': info['fstamp'], 'p': numbers[1], 'q': numbers[2],
            'g': numbers[3], 'v': numbers[4], 'priv': numbers[5]}


def iff_group_numbers(key):
    """p, q, g and the secret b of a decrypted IFF group key (a DSA key)."""
    if not isinstance(key, dsa.DSAPrivateKey):
        raise AutokeyError('the IFF group key is not a DSA key')
    numbers = key.private_numbers()
    params = numbers.public_numbers.parameter_numbers
    return params.p, params.q, params.g, numbers.x


# --- certificates ------------------------------------------------------------------------------

def _not_after(cert):
    value = getattr(cert, 'not_valid_after_utc', None)
    if value is None:  # cryptography < 42 (Debian 11 has 3.3)
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def certificate_info(pem):
    """The fields of an ntp-keygen certificate that decide whether it still serves."""
    try:
        cert = x509.load_pem_x509_certificate(pem, default_backend())
    except ValueError as exc:
        raise AutokeyError('cannot parse the certificate: %s' % exc) from exc

    def common_name(name):
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return attrs[0].value if attrs else ''

    try:
        digest = cert.signature_hash_algorithm.name
    except Exception:  # a hash cryptography does not know: name it from the signature OID, if we can
        digest = SIGNATURE_OID_DIGEST.get(cert.signature_algorithm_oid.dotted_string)
    try:
        eku = cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
        trusted = any(oid.dotted_string == TRUST_ROOT_OID for oid in eku)
    except x509.ExtensionNotFound:
        trusted = False
    public = cert.public_key()
    modulus = public.public_numbers().n if isinstance(public, rsa.RSAPublicKey) else None
    return {
        'subject': common_name(cert.subject),
        'issuer': common_name(cert.issuer),
        'not_after': _not_after(cert),
        'digest': digest,
        'trusted': trusted,
        'modulus': modulus,
        'serial': cert.serial_number,
    }


def digest_name(scheme):
    """Hash name as the certificate reports it for an ntp-keygen -c scheme (RSA-SHA256 -> sha256)."""
    return scheme.split('-', 1)[1].lower()


def resolve_link(keysdir, link):
    """Return the file a keysdir link points to (as a path), or None when there is none."""
    path = os.path.join(keysdir, link)
    if not os.path.lexists(path):
        return None
    if os.path.islink(path):
        target = os.readlink(path)
        return os.path.normpath(os.path.join(keysdir, target))
    return path
