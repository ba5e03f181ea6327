# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_association_summary
short_description: One line per ntpd association, for reports and failure messages
version_added: 0.1.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Formats one element of the RV(timesec.ntp.ntp_status_info#module:associations) list returned by
    M(timesec.ntp.ntp_status_info) as text - address, condition, auth, identity scheme, decoded flags,
    ident and the peer's Autokey name; for an NTS association (ntpsec) its name and NTS cookie count; for a
    symmetric-key association its key ID.
positional: _input
options:
  _input:
    description: An association as returned by M(timesec.ntp.ntp_status_info).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the associations
  ansible.builtin.debug:
    msg: "{{ ntp_status.associations | map('timesec.ntp.ntp_association_summary') | list }}"
"""

RETURN = r"""
_value:
  description: The summary line.
  type: str
  sample: "10.89.0.2 sys.peer auth=ok identity=iff flags=0x29c7f23 (ENAB IFF CERT VRFY PROV COOK AUTO SIGN LEAP) ident=ntp1 host=ntp1@ntp1"
  # NTS: "10.89.2.2 sys.peer auth=ok nts name=ntp2 cookies=8"
  # symmetric key: "10.89.0.3 sys.peer auth=ok key=4"
"""

from ansible.errors import AnsibleFilterError


def ntp_association_summary(assoc):
    if not isinstance(assoc, dict):
        raise AnsibleFilterError('ntp_association_summary expects an association mapping, got %s'
                                 % type(assoc).__name__)
    flags = assoc.get('flags') or {}
    parts = [
        str(assoc.get('address') or assoc.get('assid') or '?'),
        str(assoc.get('condition') or '?'),
        'auth=%s' % assoc.get('auth', '?'),
    ]
    if assoc.get('nts'):
        parts += ['nts', 'name=%s' % assoc.get('name'), 'cookies=%s' % assoc.get('cookies')]
        return ' '.join(parts)
    if assoc.get('symmetric'):
        return ' '.join(parts + ['key=%s' % assoc.get('key_id')])
    parts.append('identity=%s' % assoc.get('identity', 'none'))
    if flags:
        parts.append('flags=%s (%s)' % (flags.get('hex', '?'), ' '.join(flags.get('names') or [])))
    for key in ('ident', 'host'):
        if assoc.get(key):
            parts.append('%s=%s' % (key, assoc[key]))
    return ' '.join(parts)


class FilterModule:
    def filters(self):
        return {'ntp_association_summary': ntp_association_summary}
