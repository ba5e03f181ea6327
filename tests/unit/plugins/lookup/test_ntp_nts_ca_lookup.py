# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_nts_ca lookup: the CA each NTS server exported (<export_dir>/<server>/nts-ca.pem)."""

from __future__ import annotations

import pytest

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.timesec.ntp.plugins.lookup.ntp_nts_ca import DOCUMENTATION, LookupModule
from ansible_collections.timesec.ntp.tests.unit.utils import plugin_options

PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'


def make_lookup():
    lookup = LookupModule()
    lookup._load_name = 'timesec.ntp.ntp_nts_ca'
    C.config.initialize_plugin_configuration_definitions('lookup', lookup._load_name,
                                                         plugin_options(DOCUMENTATION))
    return lookup


@pytest.fixture
def export_dir(tmp_path):
    (tmp_path / 'private').mkdir()
    (tmp_path / 'private' / 'nts-ca.pem').write_text(PEM + '\n\n')
    (tmp_path / 'public').mkdir()
    (tmp_path / 'public' / 'nts-ca.pem').write_text('')
    return tmp_path


def test_private_public_and_missing(export_dir):
    private, public, missing = make_lookup().run(
        ['private', {'name': 'public', 'address': 'ntp.example.com'}, 'gone'], variables={}, export_dir=str(export_dir))
    assert private == {'name': 'private', 'address': 'private', 'export_dir': str(export_dir),
                       'path': str(export_dir / 'private' / 'nts-ca.pem'), 'present': True, 'content': PEM + '\n'}
    assert (public['name'], public['address'], public['present'], public['content']) == (
        'public', 'ntp.example.com', True, '')
    assert (missing['present'], missing['content']) == (False, '')


def test_not_a_certificate_names_the_server(export_dir):
    (export_dir / 'private' / 'nts-ca.pem').write_text('-----BEGIN PRIVATE KEY-----\n')
    with pytest.raises(AnsibleLookupError, match='holds no PEM certificate .*on private'):
        make_lookup().run(['private'], variables={}, export_dir=str(export_dir))


@pytest.mark.parametrize('term, message', [({'address': 'x'}, 'needs a name'), ('', 'must be a host name')])
def test_bad_servers(export_dir, term, message):
    with pytest.raises(AnsibleLookupError, match=message):
        make_lookup().run([term], variables={}, export_dir=str(export_dir))


def test_each_server_is_read_from_its_own_export_dir(tmp_path, export_dir):
    """A server with ntp_server_export_dir in its host_vars is read from there; the others from
    default_export_dir; an explicit export_dir wins for every server."""
    elsewhere = tmp_path / 'elsewhere'
    (elsewhere / 'private').mkdir(parents=True)
    (elsewhere / 'private' / 'nts-ca.pem').write_text(PEM + '\n')
    hostvars = {'private': {'ntp_server_export_dir': str(elsewhere)}, 'public': {}}
    private, public = make_lookup().run(['private', 'public'], variables={'hostvars': hostvars},
                                        default_export_dir=str(export_dir))
    assert (private['export_dir'], private['present'], private['content']) == (str(elsewhere), True, PEM + '\n')
    assert (public['export_dir'], public['present'], public['content']) == (str(export_dir), True, '')
    (private,) = make_lookup().run(['private'], variables={'hostvars': hostvars}, export_dir=str(export_dir))
    assert private['path'] == str(export_dir / 'private' / 'nts-ca.pem')
    # an empty export_dir (the client role's default) means "per server"
    (private,) = make_lookup().run(['private'], variables={'hostvars': hostvars}, export_dir='',
                                   default_export_dir=str(export_dir))
    assert private['export_dir'] == str(elsewhere)


def test_default_export_dir_is_the_server_roles_default():
    (missing,) = make_lookup().run(['ntp1'], variables={})
    assert missing['export_dir'].endswith('/.ansible/timesec.ntp/iffpar') and not missing['export_dir'].startswith('~')
    assert missing['present'] is False
