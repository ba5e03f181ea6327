# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_extra_lines
short_description: Check configuration lines of your own before they reach ntp.conf or chrony.conf
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Returns the lines unchanged when each is one line of text (no line break, no control character) whose
    directive does not undo what the roles set up; fails otherwise, with a message naming the variable, the
    line's position and the line.
  - Refused, for ntpd and ntpsec (O(syntax=ntp)) - time sources (C(server), C(pool), C(peer), C(broadcast),
    C(manycastclient), C(refclock), ...), keys and authentication (C(keys), C(trustedkey), C(controlkey),
    C(requestkey), C(crypto), C(keysdir), C(nts), C(disable auth)) and C(includefile).
  - Refused, for chrony (O(syntax=chrony)) - time sources (C(server), C(pool), C(peer), C(refclock),
    C(sourcedir), C(initstepslew)), keys and authentication (C(keyfile), C(ntstrustedcerts), C(ntsserverkey),
    C(ntsservercert), C(authselectmode) other than C(require)) and C(include), C(confdir).
  - Refused for both - the word C(noval) anywhere (it makes NTS accept any certificate).
  - Comment lines (starting with C(#)) and empty lines pass.
positional: _input
options:
  _input:
    description: The lines.
    type: list
    elements: raw
    required: true
  syntax:
    description: The daemon's configuration syntax - V(ntp) (classic ntpd and ntpsec) or V(chrony).
    type: str
    choices: [ntp, chrony]
    required: true
  variable:
    description: The variable the lines come from, for the error message.
    type: str
    default: extra_lines
"""

EXAMPLES = r"""
- name: Lines of your own for ntpd or ntpsec
  ansible.builtin.debug:
    msg: "{{ ['mru maxdepth 4096'] | timesec.ntp.ntp_extra_lines(syntax='ntp', variable='ntp_client_extra_lines') }}"
  # -> ['mru maxdepth 4096']; ['server 192.0.2.1 iburst'] fails instead:
  # ntp_client_extra_lines[0] "server 192.0.2.1 iburst": 'server' adds a time source the role does not authenticate; ...
"""

RETURN = r"""
_value:
  description: The lines, unchanged.
  type: list
  elements: str
"""

import re

from ansible.errors import AnsibleFilterError

# Why a directive is refused, by syntax. The roles write the time sources, the keys and the authentication
# themselves; an extra line must not add an unauthenticated source, replace a key or read lines nobody checked.
_SOURCE = ('adds a time source the role does not authenticate; list servers in the role\'s servers or '
           'upstream_servers variable instead')
_AUTH = 'changes the keys or the authentication the role sets up'
_INCLUDE = 'would read configuration lines the role cannot check'
REFUSED = {
    'ntp': {
        **dict.fromkeys(('server', 'pool', 'peer', 'broadcast', 'broadcastclient', 'manycastclient', 'manycastserver',
                         'multicastclient', 'refclock', 'unpeer'), _SOURCE),
        **dict.fromkeys(('keys', 'trustedkey', 'controlkey', 'requestkey', 'crypto', 'keysdir', 'revoke', 'automax',
                         'nts'), _AUTH),
        'includefile': _INCLUDE,
    },
    'chrony': {
        **dict.fromkeys(('server', 'pool', 'peer', 'refclock', 'sourcedir', 'initstepslew'), _SOURCE),
        **dict.fromkeys(('keyfile', 'ntstrustedcerts', 'ntsserverkey', 'ntsservercert'), _AUTH),
        **dict.fromkeys(('include', 'confdir'), _INCLUDE),
    },
}
_CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')


def _problem(words, syntax):
    directive = words[0].lower()
    if 'noval' in (w.lower() for w in words):
        return "'noval' makes NTS accept any certificate"
    if directive in REFUSED[syntax]:
        return "'%s' %s" % (directive, REFUSED[syntax][directive])
    if syntax == 'chrony' and directive == 'authselectmode' and [w.lower() for w in words[1:]] != ['require']:
        return ("'authselectmode' other than 'require' lets chronyd select unauthenticated sources "
                "(the role writes authselectmode require)")
    if syntax == 'ntp' and directive == 'disable' and 'auth' in (w.lower() for w in words[1:]):
        return "'disable auth' lets ntpd accept unauthenticated associations"
    return None


def ntp_extra_lines(lines, syntax, variable='extra_lines'):
    if syntax not in REFUSED:
        raise AnsibleFilterError('ntp_extra_lines: syntax must be one of %s, not %r' % (sorted(REFUSED), syntax))
    if isinstance(lines, (str, bytes)) or not isinstance(lines, (list, tuple)):
        raise AnsibleFilterError('%s must be a list of lines (strings), not %s' % (variable, type(lines).__name__))
    for index, line in enumerate(lines):
        where = '%s[%d] %s' % (variable, index, _quote(line))
        if not isinstance(line, str):
            raise AnsibleFilterError('%s: each line must be a string, not %s' % (where, type(line).__name__))
        if _CONTROL.search(line):
            raise AnsibleFilterError('%s: one line each, without line breaks or control characters (split it into '
                                     'several list items)' % where)
        words = line.split()
        if not words or words[0].startswith('#'):
            continue
        problem = _problem(words, syntax)
        if problem:
            raise AnsibleFilterError('%s: %s. Remove the line from %s.' % (where, problem, variable))
    return list(lines)


def _quote(value):
    text = repr(value) if not isinstance(value, str) else '"%s"' % value.encode('unicode_escape').decode('ascii')
    return text if len(text) <= 120 else text[:117] + '..."'


class FilterModule:
    def filters(self):
        return {'ntp_extra_lines': ntp_extra_lines}
