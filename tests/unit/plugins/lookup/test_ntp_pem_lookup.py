# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.timesec.ntp.plugins.lookup.ntp_pem import DOCUMENTATION, LookupModule, pem_text
from ansible_collections.timesec.ntp.tests.unit.utils import plugin_options

PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'


@pytest.fixture
def pem_file(tmp_path):
    path = tmp_path / 'ca.pem'
    path.write_text('\n' + PEM + '\n\n')
    return path


def test_text_passes_through():
    assert pem_text('  ' + PEM + '\n\n') == PEM + '\n'


def test_empty_is_empty():
    assert pem_text('') == ''
    assert pem_text(None) == ''


def test_path_is_read(pem_file):
    assert pem_text(str(pem_file)) == PEM + '\n'


@pytest.mark.parametrize('term, message', [
    ('relative/ca.pem', 'ntp_client_nts_ca is .*absolute path'),
    ('/nonexistent/ca.pem', 'ntp_client_nts_ca: cannot read /nonexistent/ca.pem'),
])
def test_errors_name_the_variable(term, message):
    with pytest.raises(AnsibleLookupError, match=message):
        pem_text(term, 'ntp_client_nts_ca')


def test_file_without_pem(tmp_path):
    path = tmp_path / 'not.pem'
    path.write_text('hello\n')
    with pytest.raises(AnsibleLookupError, match='holds no PEM block'):
        pem_text(str(path), 'ntp_server_nts_cert')


def test_lookup_run(pem_file):
    lookup = LookupModule()
    lookup._load_name = 'timesec.ntp.ntp_pem'
    C.config.initialize_plugin_configuration_definitions('lookup', lookup._load_name, plugin_options(DOCUMENTATION))
    assert lookup.run([str(pem_file), PEM, ''], variables={}, variable='x') == [PEM + '\n', PEM + '\n', '']


KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNotARealKeyForTheTest0123456789'


@pytest.mark.parametrize('term', [
    '-----BEGN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' % KEY_BODY,   # header mistyped: not PEM text
    '/etc/ssl/%s\nsecond line' % KEY_BODY,                                       # an absolute "path" with a newline
    KEY_BODY,                                                                   # a bare base64 line
])
def test_a_value_that_is_neither_pem_nor_a_path_is_not_shown(term):
    """Issue 26: ntp_pem echoed the whole value, so a private key with a mistyped header reached the log."""
    with pytest.raises(AnsibleLookupError) as exc:
        pem_text(term, 'ntp_server_nts_key')
    assert KEY_BODY not in str(exc.value) and 'ntp_server_nts_key is neither PEM text' in str(exc.value)
    assert 'its value is not shown' in str(exc.value)


def test_check_returns_the_problem_never_the_text(pem_file):
    lookup = LookupModule()
    lookup._load_name = 'timesec.ntp.ntp_pem'
    C.config.initialize_plugin_configuration_definitions('lookup', lookup._load_name, plugin_options(DOCUMENTATION))
    result = lookup.run([str(pem_file), PEM, '/nonexistent/key.pem', 'BEGN ' + KEY_BODY], variables={},
                        variable='ntp_server_nts_key', check=True)
    assert result[:2] == ['', ''] and 'cannot read /nonexistent/key.pem' in result[2]
    assert 'neither PEM text' in result[3] and KEY_BODY not in ''.join(result)
