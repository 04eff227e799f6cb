#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vfio-handoff developers
# GNU General Public License v2.0+ (see COPYING or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: device
short_description: Enable or disable PCI devices for passthrough with vfio-handoff
version_added: "0.1.0"
description:
  - Enables PCI devices for passthrough on a libvirt host, or disables them, through
    C(vfio-handoff enable) and C(vfio-handoff disable), which write and remove the device's
    drop-in in C(/etc/vfio-handoff/conf.d/).
  - Once enabled, vfio-handoff's libvirt hook hands the device to VFIO when a domain that uses
    it starts, and gives it back to its host driver when the domain stops.
  - It is declarative, the drop-in ends up allowing exactly C(domains), C(console_handoff) and
    C(vfio_driver), and the identity the device has now is pinned. A device already so is left
    alone (C(changed=false)).
  - A device the host depends on (its boot disk's controller, the NIC of its default route,
    anything in an IOMMU group with them), a bridge, or an SR-IOV PF whose VFs are enabled is
    refused, and the task fails with vfio-handoff's reason and fix, unless C(force).
author:
  - vfio-handoff developers
options:
  address:
    description:
      - The device's PCI address (C(0000:01:00.0) or C(01:00.0)).
      - Exactly one of C(address) and C(match) is given.
    type: str
  match:
    description:
      - Every present device with these IDs (hexadecimal, as C(lspci -nn) shows them).
      - It fails when no device matches.
    type: dict
    suboptions:
      vendor:
        description: The vendor ID, as C(10de).
        type: str
        required: true
      device:
        description: The device ID, as C(2204).
        type: str
        required: true
      subsystem_vendor:
        description: The subsystem vendor ID.
        type: str
      subsystem_device:
        description: The subsystem device ID.
        type: str
  state:
    description:
      - C(enabled) writes the drop-in; C(disabled) removes it.
      - A device enabled in a policy file written by hand cannot be disabled here; the task
        fails and names the file.
    type: str
    choices: [enabled, disabled]
    default: enabled
  domains:
    description:
      - The libvirt domains that may use the device; none given, any domain may.
    type: list
    elements: str
  console_handoff:
    description:
      - The boot VGA device may be handed off while it shows the host's console (a single-GPU
        host); the hook releases the console at each start and restores it at each stop.
    type: bool
    default: false
  vfio_driver:
    description:
      - The VFIO driver the device is handed to, C(vfio-pci) or a variant driver such as
        C(mlx5_vfio_pci); C(auto) picks the one libvirt would.
    type: str
    default: auto
  force:
    description:
      - Enable a device the host depends on now (the hook still refuses it while it does).
    type: bool
    default: false
extends_documentation_fragment:
  - vfio_handoff.passthrough.cli
notes:
  - Supports check mode (C(vfio-handoff enable --dry-run)) and diff mode (the drop-in's text
    before and after).
seealso:
  - module: vfio_handoff.passthrough.hostdev
  - module: vfio_handoff.passthrough.facts
"""

EXAMPLES = r"""
- name: Enable the GPU for the domain win11
  vfio_handoff.passthrough.device:
    address: "0000:01:00.0"
    domains: [win11]

- name: Enable every Intel I350 VF for any domain
  vfio_handoff.passthrough.device:
    match:
      vendor: "8086"
      device: "1520"

- name: Give the NIC back to the host for good
  vfio_handoff.passthrough.device:
    address: "0000:05:00.0"
    state: disabled
"""

RETURN = r"""
devices:
  description: Each device acted on, and what became of it.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The device's PCI address.
      type: str
      sample: "0000:01:00.0"
    changed:
      description: Whether its drop-in was (or, in check mode, would be) written or removed.
      type: bool
    message:
      description: What vfio-handoff said of it.
      type: str
    file:
      description: Its drop-in.
      type: str
      sample: /etc/vfio-handoff/conf.d/50-0000:01:00.0.conf
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vfio_handoff.passthrough.plugins.module_utils.vfio_handoff import (
    CLI_ARGUMENT_SPEC,
    VfioHandoff,
)

ID_FIELDS = (
    ("vendor", "vendor_id"),
    ("device", "device_id"),
    ("subsystem_vendor", "subsystem_vendor_id"),
    ("subsystem_device", "subsystem_device_id"),
)


def hex_id(value):
    return "%04x" % int(value, 16)


def targets(cli, module):
    """The addresses the task is about."""
    if module.params["address"]:
        return [module.params["address"]]
    wanted = {}
    for option, member in ID_FIELDS:
        value = module.params["match"].get(option)
        if value is not None:
            try:
                wanted[member] = hex_id(value)
            except ValueError:
                module.fail_json(msg="match.%s: '%s' is no hexadecimal ID (fix: give it as lspci "
                                 "-nn shows it, as 10de)" % (option, value))
    rc, doc = cli.run(["list"])
    found = [d["address"] for d in doc["devices"]
             if all(d.get(m) == v for m, v in wanted.items())]
    if not found:
        module.fail_json(msg="match: no PCI device here has %s (fix: see 'vfio-handoff list')"
                         % ", ".join("%s %s" % kv for kv in sorted(wanted.items())))
    return found


def dropin_text(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return ""


def is_ours(policy, address):
    """Whether the device's section is the drop-in `vfio-handoff enable` writes."""
    return bool(policy.get("file")) and policy["file"].endswith("/conf.d/50-%s.conf" % address)


def as_wanted(policy, address, params):
    """Whether the device's drop-in already says what the task asks."""
    if not (policy["enabled"] and is_ours(policy, address) and policy.get("identity_matches")):
        return False
    domains = sorted(policy.get("domains") or [])
    vfio_driver = params["vfio_driver"] if params["vfio_driver"] != "auto" else None
    return (domains == sorted(params["domains"] or [])
            and bool(policy.get("console_handoff")) == params["console_handoff"]
            and policy.get("vfio_driver") == vfio_driver)


def enable(cli, module, address):
    params = module.params
    args = ["enable", address, "--replace"]
    for domain in params["domains"] or []:
        args += ["--domain", domain]
    if params["console_handoff"]:
        args.append("--console-handoff")
    if params["vfio_driver"] != "auto":
        args += ["--vfio-driver", params["vfio_driver"]]
    if params["force"]:
        args.append("--force")
    if module.check_mode:
        args.append("--dry-run")
    rc, doc = cli.run(args)
    return doc["devices"][0]


def disable(cli, module, address):
    args = ["disable", address] + (["--dry-run"] if module.check_mode else [])
    rc, doc = cli.run(args)
    return doc["devices"][0]


def main():
    argument_spec = dict(
        address=dict(type="str"),
        match=dict(type="dict", options=dict(
            vendor=dict(type="str", required=True),
            device=dict(type="str", required=True),
            subsystem_vendor=dict(type="str"),
            subsystem_device=dict(type="str"),
        )),
        state=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
        domains=dict(type="list", elements="str"),
        console_handoff=dict(type="bool", default=False),
        vfio_driver=dict(type="str", default="auto"),
        force=dict(type="bool", default=False),
    )
    argument_spec.update(CLI_ARGUMENT_SPEC)
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("address", "match")],
        required_one_of=[("address", "match")],
        supports_check_mode=True,
    )
    cli = VfioHandoff(module)
    devices, diffs = [], []
    for target in targets(cli, module):
        rc, shown = cli.run(["show", target])
        dev = shown["device"]
        address, policy = dev["address"], dev["policy"]
        entry = dict(address=address, changed=False, file=policy.get("file"))
        enabled_here = policy["enabled"]
        if module.params["state"] == "enabled" and not as_wanted(policy, address, module.params):
            outcome = enable(cli, module, address)
            entry.update(changed=True, message=outcome["message"], file=outcome["details"]["file"])
            diffs.append(dict(before_header=entry["file"], before=dropin_text(entry["file"]),
                              after_header=entry["file"], after=outcome["details"]["text"]))
        elif module.params["state"] == "disabled" and enabled_here:
            outcome = disable(cli, module, address)
            entry.update(changed=outcome["outcome"] in ("disabled", "would-disable"),
                         message=outcome["message"])
            if entry["changed"]:
                entry["file"] = outcome["details"]["file"]
                diffs.append(dict(before_header=entry["file"], before=outcome["details"]["text"],
                                  after_header=entry["file"], after=""))
        else:
            entry["message"] = "%s is %s as asked: nothing to do" % (address,
                                                                      module.params["state"])
        devices.append(entry)
    changed = any(d["changed"] for d in devices)
    module.exit_json(changed=changed, devices=devices, diff=diffs)


if __name__ == "__main__":
    main()
