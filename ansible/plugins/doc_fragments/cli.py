# -*- coding: utf-8 -*-
# Copyright: vfio-handoff developers
# GNU General Public License v2.0+ (see COPYING or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # every module runs the CLI
    DOCUMENTATION = r"""
options:
  binary:
    description: The vfio-handoff command, by name on the PATH or by path.
    type: path
    default: vfio-handoff
"""

    # the modules that ask libvirt
    LIBVIRT = r"""
options:
  uri:
    description: The libvirt URI, as C(virsh -c) takes it.
    type: str
"""
