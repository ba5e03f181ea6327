# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the daemons' readers share, for timesec.ntp.ntp_status_info and the metrics collector.

The readers (``ntpq.py`` for classic ntpd and ntpsec, ``chronyc.py`` for chronyd) turn a daemon's
own output into one shape: a ``system`` dict and a list of associations with the same keys
(``condition``, ``auth``, ``flags``, ``nts``, ``cookies``, ``symmetric``, ``key_id``, ...). What
follows from that shape is daemon-neutral and lives here: ``summarize`` (the five answers most
callers want), ``authenticated_by`` and ``identity_verified`` (per association), ``source`` (one
association as a time source), the errors every reader raises (``StatusError`` and
``StatusParseError``; ``ntpq.NtpqError`` and ``chronyc.ChronycError`` derive from them) and
``excerpt`` (a short piece of a tool's output for an error message). Pure functions, no I/O.

A new daemon gets a reader of its own next to the two (docs/map.md, "How to add a daemon"),
which imports from here and from no other reader.
"""

from __future__ import annotations


class StatusError(Exception):
    """A daemon's query tool did not deliver the data (no daemon, no answer, unknown host...)."""


class StatusParseError(StatusError):
    """A daemon's query tool answered with text its reader does not understand."""


def excerpt(text, limit=200):
    """``text`` stripped, cut to ``limit`` characters (``...`` marks the cut): tool output quoted in an error."""
    text = (text or '').strip()
    return text if len(text) <= limit else text[:limit] + '...'


# Daemons whose system status names no sync source (see summarize).
NO_SYNC_SOURCE = ('ntpsec', 'chrony')


def source(assoc):
    """One association as a time source of a chain report: ``scheme`` says how it is set up (``autokey``,
    ``nts``, ``symmetric`` or ``none`` for plain NTP), ``authenticated`` whether it passes that scheme now
    (auth ok, and VRFY for Autokey, cookies for NTS), ``selected`` whether it is the system peer."""
    names = (assoc.get('flags') or {}).get('names', [])
    auth_ok = assoc.get('auth') == 'ok'
    if assoc.get('nts'):
        scheme, authenticated = 'nts', auth_ok and (assoc.get('cookies') or 0) > 0
    elif assoc.get('symmetric'):
        scheme, authenticated = 'symmetric', auth_ok
    elif assoc.get('flags') is not None:
        scheme, authenticated = 'autokey', auth_ok and 'VRFY' in names
    else:
        scheme, authenticated = 'none', False
    return {'address': assoc.get('address'), 'name': assoc.get('name') or assoc.get('host') or assoc.get('address'),
            'scheme': scheme, 'authenticated': authenticated, 'key_id': assoc.get('key_id'),
            'selected': assoc.get('condition') == 'sys.peer', 'condition': assoc.get('condition'),
            'stratum': assoc.get('stratum'), 'reach_register': assoc.get('reach_register')}


def summarize(system, associations):
    """The five answers most callers want.

    ``synchronized``: there is a system peer, the leap indicator is not ``alarm`` and the
    sync source is not ``unspec`` (ntpsec reports ``sync_unspec`` also when synchronised to a
    network peer and chrony (module_utils/chronyc.py) reports no sync source, so for those the
    stratum must be below 16 instead). ``authenticated``: the
    system peer's association has auth ``ok`` and either Autokey flags with VRFY or NTS
    cookies (``nts``) or a symmetric key (``symmetric``). ``identity_verified``: authenticated by
    Autokey and the flags name an identity scheme (IFF, GQ or MV). ``nts``: authenticated by NTS.
    ``symmetric``: authenticated with a symmetric key, whose ID is ``key_id`` (None otherwise).
    ``sys_peer``: the system peer's address (None without one).
    """
    peer = None
    for assoc in associations:
        if assoc.get('condition') == 'sys.peer':
            peer = assoc
            break
    if system.get('daemon') in NO_SYNC_SOURCE:
        stratum = system.get('stratum')
        source_ok = stratum is not None and stratum < 16
    else:
        source_ok = system.get('sync') not in (None, 'unspec')
    synchronized = bool(peer) and system.get('leap') != 'alarm' and source_ok
    how = authenticated_by(peer)
    symmetric = how == 'symmetric'
    return {
        'synchronized': synchronized,
        'authenticated': how is not None,
        'symmetric': symmetric,
        'key_id': peer.get('key_id') if symmetric else None,
        'identity_verified': identity_verified(peer),
        'nts': how == 'nts',
        'sys_peer': peer.get('address') if peer else None,
    }


def authenticated_by(assoc):
    """How the last packet of one association (a reader's association_info) passed authentication:
    ``autokey`` (auth ``ok`` and Autokey flags with VRFY), ``nts`` (auth ``ok`` and NTS cookies held),
    ``symmetric`` (auth ``ok`` with a symmetric key), else None. summarize() applies it to the system
    peer; the metrics (module_utils/metrics.py) to every association."""
    if not assoc or assoc.get('auth') != 'ok':
        return None
    if 'VRFY' in (assoc.get('flags') or {}).get('names', []):
        return 'autokey'
    if assoc.get('nts') and (assoc.get('cookies') or 0) > 0:
        return 'nts'
    if assoc.get('symmetric'):
        return 'symmetric'
    return None


def identity_verified(assoc):
    """Whether an association is authenticated by Autokey with an identity scheme (IFF, GQ or MV)."""
    names = (assoc or {}).get('flags') or {}
    return authenticated_by(assoc) == 'autokey' and any(bit in names.get('names', []) for bit in ('IFF', 'GQ', 'MV'))
