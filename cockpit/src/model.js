/* What the page says of a device, from the CLI's documents: its state (handed off, parked,
 * enabled, the host's), its verdict, and where it is in the domains. One place, so that the host
 * view and the status view never disagree. */
/* global cockpit */

const _ = cockpit.gettext;

export function statusRecord(host, address) {
    return (host.status?.devices || []).find(d => d.address === address) || null;
}

/* {text, color, kind}: kind is handed-off, wedged, stuck, orphan, unplugged, parked, enabled,
 * host, or none */
export function deviceState(dev, host) {
    const rec = statusRecord(host, dev.address);

    if (rec !== null) {
        if (rec.state === "wedged")
            return { kind: "wedged", color: "red", text: _("Wedged: did not come back from its reset") };
        if (rec.state === "stuck")
            return { kind: "stuck", color: "red", text: _("Stuck: a step failed") };
        if (rec.orphan)
            return { kind: "orphan", color: "orange", text: cockpit.format(_("Orphan: $0 is gone"), rec.domain || _("its VM")) };
        if (rec.unplugged)
            return { kind: "unplugged", color: "orange", text: cockpit.format(_("Unplugged from $0"), rec.domain) };
        if (rec.by_hand)
            return { kind: "handed-off", color: "blue", text: _("Detached by hand") };
        return { kind: "handed-off", color: "blue", text: cockpit.format(_("Handed off to $0"), rec.domain) };
    }
    if (dev.parked)
        return { kind: "parked", color: "orange", text: _("Parked on vfio-pci") };
    if (dev.policy?.enabled) {
        const doms = dev.policy.domains || [];
        return {
            kind: "enabled",
            color: "green",
            text: doms.length > 0 ? cockpit.format(_("Enabled for $0"), doms.join(", ")) : _("Enabled"),
        };
    }
    if (dev.host_critical)
        return { kind: "host", color: "grey", text: _("Used by the host") };
    const lead = dev.endpoint && dev.iommu_group !== null
        ? (host.list?.devices || []).find(d => d !== dev && d.iommu_group === dev.iommu_group && d.policy?.enabled)
        : null;
    if (lead)
        return { kind: "companion", color: "blue", text: cockpit.format(_("Goes with $0"), lead.address) };
    return { kind: "none", color: null, text: "" };
}

/* The one-line answer: what the hook would say of this device now */
export function verdict(dev) {
    const fails = (dev.reasons || []).filter(r => r.status === "fail" && r.id !== "device-enabled");

    if (!dev.endpoint)
        return { ok: false, text: fails[0]?.reason || _("a bridge stays with the host"), fix: null };
    if (fails.length > 0)
        return { ok: false, text: fails[0].reason, fix: fails[0].fix };
    if (!dev.policy?.enabled)
        return { ok: true, text: _("Can be enabled"), fix: null };
    return { ok: true, text: _("Ready for a VM"), fix: null };
}

export function deviceName(dev) {
    return [dev.vendor_name, dev.device_name].filter(Boolean).join(" ") || dev.class_name || dev.address;
}

export function deviceIds(dev) {
    return `${dev.vendor_id}:${dev.device_id}`;
}

/* The domains whose definition (or live devices) have @address */
export function domainsWith(host, address) {
    return (host.domains?.domains || []).filter(d =>
        (d.hostdevs || []).some(x => x.address === address) ||
        (d.live_hostdevs || []).some(x => x.address === address));
}

/* The devices by IOMMU group, groups in number order; devices with no group last, alone */
export function groups(devices) {
    const byGroup = new Map();

    for (const d of devices) {
        const key = d.iommu_group ?? `none-${d.address}`;
        if (!byGroup.has(key))
            byGroup.set(key, []);
        byGroup.get(key).push(d);
    }
    return [...byGroup.entries()]
            .sort((a, b) => (typeof a[0] === "number" ? a[0] : 1e9) - (typeof b[0] === "number" ? b[0] : 1e9))
            .map(([number, members]) => ({ number: typeof number === "number" ? number : null, members }));
}
