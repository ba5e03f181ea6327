# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers of one IFF group share one group key: which server's key it is, who gets a copy, whom
each server follows (the servers before it, inventory order) at which orphan stratum, and when the
key cannot be shared. Pure functions, no Ansible imports,
so that the filter ntp_iff_group and the unit tests share them."""

from __future__ import annotations

MAX_ORPHAN = 15  # the highest stratum "tos orphan" takes

FIX_PASSWORD = (
    'The servers of one IFF group share one encrypted group key, so they need one '
    'ntp_server_crypto_password: set it once for the group (for example in the group_vars of ntp_servers), '
    'or give the odd servers an ntp_server_group_name of their own.')


class GroupError(Exception):
    pass


def _member(item):
    if not isinstance(item, dict) or not item.get('name') or not item.get('group'):
        raise GroupError('a group member needs at least name and group, got %r' % (sorted(item) if isinstance(item, dict) else item,))
    return {
        'name': str(item['name']),
        'group': str(item['group']),
        'has_key': bool(item.get('has_key')),
        'password': item.get('password'),
        'source': str(item.get('source') or ''),
        'orphan_stratum': _int_or_none(item.get('orphan_stratum')),
    }


def _int_or_none(value):
    if value is None or value == '':
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise GroupError('orphan_stratum must be an integer, got %r' % (value,))
    return number


def group_plan(members, me):
    """The plan of server ``me`` for the group key of its IFF group.

    ``members``: one mapping per server of the play, in inventory order, with ``name`` (inventory
    host name), ``group`` (ntp_server_group_name), ``has_key`` (whether it holds a group key for
    that group), ``password`` (a token that is equal when the crypto passwords are equal, never
    shown), ``source`` (its ntp_server_group_key_source, '' for none) and ``orphan_stratum`` (its
    ntp_server_orphan_stratum; optional).

    Returns ``{group, members, source, source_reason, receives, peers, position, orphan_stratum, errors}``:
      - ``source``: the server whose group key is the group's: the one named by
        ntp_server_group_key_source, else the first member (inventory order) that has a key, else
        the first member, which makes it.
      - ``receives``: whether ``me`` receives the source's key (every member but the source).
      - ``peers``: the members before ``me`` (inventory order), which ``me`` lists as Autokey servers.
        Only those: a server's configuration never depends on the servers added after it, so adding
        a server at the end changes nothing on the others. (Symmetric ``peer``, broadcast and
        multicast associations with Autokey are dropped by ntpd 4.2.8p15: see docs/autokey.md,
        "Several servers".)
      - ``position``: the index of ``me`` in the group (0 for the first server).
      - ``orphan_stratum``: the orphan stratum of ``me``: ntp_server_orphan_stratum + position, so
        that without an upstream every server follows the first running server before it, and the
        first running server of the group is the one orphan parent. None without ``orphan_stratum``.
      - ``errors``: why the plan cannot work (nothing may change then); empty when it can.
    """
    described = [_member(item) for item in members]
    mine = [m for m in described if m['name'] == me]
    if not mine:
        raise GroupError('%s is not among the described servers' % me)
    group = mine[0]['group']
    in_group = [m for m in described if m['group'] == group]
    names = [m['name'] for m in in_group]
    errors = []

    passwords = []
    for m in in_group:
        if m['password'] not in passwords:
            passwords.append(m['password'])
    if len(passwords) > 1:
        sets = '; '.join(', '.join(m['name'] for m in in_group if m['password'] == pw) for pw in passwords)
        errors.append(
            'ntp_server_crypto_password differs among the servers of IFF group %s (ntp_server_group_name): '
            'they fall into %d sets with one password each: %s. %s'
            % (group, len(passwords), sets, FIX_PASSWORD))

    named = sorted(set(m['source'] for m in in_group if m['source']))
    source, reason = None, None
    if len(named) > 1 or (named and any(not m['source'] for m in in_group)):
        errors.append(
            'ntp_server_group_key_source differs among the servers of IFF group %s: %s. Set it to one '
            'server for the whole group (group_vars), or leave it unset everywhere.'
            % (group, ', '.join('%s names %s' % (m['name'], m['source'] or '(none)') for m in in_group)))
    elif named:
        source = named[0]
        other = [m for m in described if m['name'] == source and m['group'] != group]
        if other:
            errors.append(
                'ntp_server_group_key_source is %s, but %s is a server of IFF group %s, not %s: name a '
                'server of %s (%s).' % (source, source, other[0]['group'], group, group, ', '.join(names)))
        reason = 'named by ntp_server_group_key_source' + ('' if source in names else ' (not in this play)')
    else:
        holders = [m['name'] for m in in_group if m['has_key']]
        if holders:
            source, reason = holders[0], 'the first server of the group (inventory order) that has a group key'
        else:
            source, reason = names[0], 'no server of the group has a group key yet: the first one makes it'

    position = names.index(me)
    bases = []
    for m in in_group:
        if m['orphan_stratum'] not in bases:
            bases.append(m['orphan_stratum'])
    orphan = None
    if len(bases) > 1:
        errors.append(
            'ntp_server_orphan_stratum differs among the servers of IFF group %s: %s. The servers of a group '
            'take orphan strata one above the other in inventory order from one base: set '
            'ntp_server_orphan_stratum once for the group (group_vars), or leave it unset everywhere.'
            % (group, ', '.join('%s has %s' % (m['name'], m['orphan_stratum']) for m in in_group)))
    elif bases[0] is not None:
        orphan = bases[0] + position
        top = bases[0] + len(in_group) - 1
        if top > MAX_ORPHAN:
            lower = MAX_ORPHAN - len(in_group) + 1
            fix = 'Split the servers into several groups (ntp_server_group_name).'
            if lower >= 1:
                fix = 'Lower ntp_server_orphan_stratum to at most %d, or split the servers into several groups ' \
                      '(ntp_server_group_name).' % lower
            errors.append(
                'IFF group %s has %d servers, so with ntp_server_orphan_stratum %d its last server would serve '
                'as an orphan at stratum %d, above %d: the servers of a group take orphan strata one above the '
                'other in inventory order. %s' % (group, len(in_group), bases[0], top, MAX_ORPHAN, fix))

    return {
        'group': group,
        'members': names,
        'source': source,
        'source_reason': reason,
        'receives': source is not None and source != me,
        'peers': names[:position],
        'position': position,
        'orphan_stratum': orphan,
        'errors': errors,
    }
