# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_server_lines import FilterModule, ntp_server_lines

PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

CASES = [
    # (servers, options, expected)
    (['10.0.0.1'], {'auth': 'autokey', 'group': 'grp', 'minpoll': 3, 'maxpoll': 6},
     ['10.0.0.1 iburst autokey ident grp minpoll 3 maxpoll 6']),
    ([{'name': 'ntp1', 'address': 'fd42::1', 'content': 'x'}], {'auth': 'autokey', 'group': 'g', 'minpoll': '4'},
     ['fd42::1 iburst autokey ident g minpoll 4']),
    (['up1.example', 'up2.example'], {}, ['up1.example iburst', 'up2.example iburst']),
    ([{'address': 'ntp1', 'content': PEM}, {'address': 'pub.example', 'content': ''}],
     {'auth': 'nts', 'minpoll': 4, 'maxpoll': 6, 'ca_file': '/usr/local/share/ca-certificates/ca.pem'},
     ['ntp1 iburst minpoll 4 maxpoll 6 nts ca /usr/local/share/ca-certificates/ca.pem',
      'pub.example iburst minpoll 4 maxpoll 6 nts']),
    ([{'address': 'ntp1', 'content': ''}], {'auth': 'nts', 'ca_file': '/ca.pem', 'ca': 'always'},
     ['ntp1 iburst nts ca /ca.pem']),
    ([{'address': 'ntp1', 'content': PEM}], {'auth': 'nts', 'ca_file': '/ca.pem', 'ca': 'never'},
     ['ntp1 iburst nts']),
    (['ntp1'], {'auth': 'nts', 'ca_file': '/ca.pem', 'ca': 'always'}, ['ntp1 iburst nts ca /ca.pem']),
    ([], {'auth': 'autokey', 'group': 'g'}, []),
    ([{'address': 'srv11', 'key_id': 4}, {'name': 'srv12', 'address': 'fd42::2', 'key_id': 65535}],
     {'auth': 'symmetric', 'minpoll': 4, 'maxpoll': 6},
     ['srv11 iburst key 4 minpoll 4 maxpoll 6', 'fd42::2 iburst key 65535 minpoll 4 maxpoll 6']),
]


@pytest.mark.parametrize('servers, options, expected', CASES)
def test_lines(servers, options, expected):
    assert ntp_server_lines(servers, **options) == expected


ERRORS = [
    (['a'], {'auth': 'autokey'}, 'needs the IFF group'),
    (['a'], {'auth': 'sym'}, 'auth must be'),
    (['a'], {'auth': 'symmetric'}, 'needs a mapping with key_id'),
    ([{'address': 'a', 'key_id': None}], {'auth': 'symmetric'}, 'needs a mapping with key_id'),
    ([{'address': 'a', 'key_id': 65536}], {'auth': 'symmetric'}, 'needs a mapping with key_id'),
    ([{'address': 'a', 'key_id': True}], {'auth': 'symmetric'}, 'needs a mapping with key_id'),
    (['a'], {'auth': 'nts', 'ca': 'sometimes'}, 'ca must be'),
    ([{'name': 'x'}], {}, 'needs an address'),
    ([''], {}, 'is not a server address'),
    ([None], {}, 'is not a server address'),
]


@pytest.mark.parametrize('servers, options, message', ERRORS)
def test_errors(servers, options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        ntp_server_lines(servers, **options)


def test_registered():
    assert FilterModule().filters()['ntp_server_lines'] is ntp_server_lines
