/* The status view: what is handed off to whom since when, orphans, stuck, wedged and parked
 * devices with the commands that give them back; and the VMs with their PCI devices. */
/* global cockpit */

import { h, replace, button, label, alert, errorsAlert, table, when, kib } from "./dom.js";
import { deviceState, deviceName } from "./model.js";
import { giveBackDialog, removeDialog } from "./dialogs.js";

const _ = cockpit.gettext;

export class StatusView {
    constructor(refresh) {
        this.refresh = refresh;
        this.el = h("section", { class: "vh-status-view", id: "vh-status-view" });
    }

    device(address) {
        return (this.host.list?.devices || []).find(d => d.address === address) || { address };
    }

    update(host) {
        this.host = host;
        replace(this.el, this.handedOff(), this.parked(), this.domains());
    }

    section(title, id, actions, body) {
        return h("div", { class: "pf-v6-c-card vh-section", id },
                 h("div", { class: "pf-v6-c-card__header" },
                   h("div", { class: "pf-v6-c-card__actions" }, actions),
                   h("div", { class: "pf-v6-c-card__title" }, h("h2", { class: "pf-v6-c-card__title-text" }, title))),
                 h("div", { class: "pf-v6-c-card__body" }, body));
    }

    handedOff() {
        const status = this.host.status;
        const recover = button(_("Recover…"), () => giveBackDialog({
            id: "vh-recover",
            title: _("Give back what no VM holds"),
            intro: h("p", null, _("Every device whose VM is no longer running goes back to the driver it had, last taken first. Devices a running VM holds are kept.")),
            preview: () => ["recover", "--dry-run"],
            apply: () => ["recover"],
            applyText: _("Recover"),
            refresh: this.refresh,
        }), { id: "vh-recover-open" });

        if (status === null)
            return this.section(_("Handed off"), "vh-handed-off", recover, errorsAlert(_("The journal cannot be read"), this.host.errors.status?.errors || []));
        const rows = status.devices.map(rec => {
            const dev = this.device(rec.address);
            const st = deviceState(dev, this.host);
            const actions = [];

            if (rec.by_hand)
                actions.push(this.reattach(rec.address, [], _("Give back"), _("The device goes back to the driver it had.")));
            // stuck and orphaned devices are Recover's; a wedged one only goes back by force
            if (rec.state === "wedged")
                actions.push(this.reattach(rec.address, ["--force"], _("Force give back"),
                                           [h("p", null, rec.reason || ""),
                                            h("p", null, _("It does not answer since its reset. Giving it back anyway binds its driver to hardware that may not answer, and that driver's probe can hang the host: rebooting the host is the safe way. Only go on when you know the device is fine."))]));
            return [
                h("span", null, h("span", { class: "vh-address" }, rec.address), h("br"), h("span", { class: "vh-muted" }, deviceName(dev))),
                rec.by_hand ? _("by hand") : (rec.domain || "—"),
                label(st.text, st.color),
                when(rec.since),
                rec.driver || "—",
                rec.qemu_pid ? String(rec.qemu_pid) : "—",
                h("div", { class: "vh-actions" }, actions),
            ];
        });
        const unreadable = (status.unreadable || []).length > 0
            ? alert("danger", _("Journal files that cannot be read"), status.unreadable.map(u => h("div", null, u.message)))
            : null;

        return this.section(_("Handed off"), "vh-handed-off", recover, [
            unreadable,
            rows.length > 0
                ? table(_("Devices handed off"), [_("Device"), _("VM"), _("State"), _("Since"), _("Goes back to"), _("QEMU"), ""], rows,
                        { id: "vh-status-table", rowProps: i => ({ "data-address": status.devices[i].address, "data-state": status.devices[i].state }) })
                : h("p", { class: "vh-muted", id: "vh-nothing-handed-off" }, _("No device is handed off now.")),
        ]);
    }

    reattach(address, extra, text, intro) {
        const b = button(text, () => giveBackDialog({
            id: "vh-reattach",
            title: cockpit.format(_("Give $0 back"), address),
            intro: h("p", null, intro),
            apply: () => ["reattach", ...extra, address],
            applyText: text,
            danger: extra.includes("--force"),
            refresh: this.refresh,
        }), { variant: extra.includes("--force") ? "danger" : "secondary" });
        b.dataset.address = address;
        b.dataset.action = "reattach" + extra.join("");
        return b;
    }

    parked() {
        const parked = this.host.status?.parked || [];

        if (parked.length === 0)
            return null;
        return this.section(_("Parked on vfio-pci"), "vh-parked", null, [
            h("p", { class: "vh-muted" }, _("No one holds these and vfio-handoff did not hand them off: something left them on vfio-pci, and nothing will give them back.")),
            table(_("Parked devices"), [_("Device"), _("Left by"), _("What to do"), ""],
                  parked.map(p => [
                      h("span", null, h("span", { class: "vh-address" }, p.address), h("br"), h("span", { class: "vh-muted" }, deviceName(this.device(p.address)))),
                      p.left_by,
                      p.fix,
                      h("div", { class: "vh-actions" }, this.reattach(p.address, ["--adopt"], _("Give back"),
                                                                      _("The device goes to the driver the kernel picks for it; vfio-handoff refuses if a process holds it."))),
                  ]), { id: "vh-parked-table" }),
        ]);
    }

    domains() {
        const doms = this.host.domains;

        if (doms === null)
            return this.section(_("Virtual machines"), "vh-domains", null, errorsAlert(_("The VMs cannot be listed"), this.host.errors.domains?.errors || []));
        const rows = doms.domains.map(d => {
            const devs = (d.running ? d.live_hostdevs : d.hostdevs) || [];
            return [
                h("strong", null, d.name),
                label(d.running ? _("Running") : _("Shut off"), d.running ? "green" : "grey"),
                kib(d.memory_kib) + (d.locked ? " · " + _("locked") : ""),
                devs.length > 0
                    ? h("ul", { class: "vh-hostdevs" }, devs.map(x => {
                        const remove = x.managed ? null : button(_("Remove…"), () => removeDialog(d, x.address, this.refresh), { variant: "link" });
                        if (remove) {
                            remove.dataset.action = "remove";
                            remove.dataset.address = x.address;
                            remove.dataset.domain = d.name;
                        }
                        return h("li", null, h("span", { class: "vh-address" }, x.address), " ", h("span", { class: "vh-muted" }, deviceName(this.device(x.address))),
                                 x.managed ? label(_("managed by libvirt"), "grey") : null, remove);
                    }))
                    : h("span", { class: "vh-muted" }, _("no PCI device")),
            ];
        });
        return this.section(_("Virtual machines"), "vh-domains", null,
                            rows.length > 0
                                ? table(_("Virtual machines"), [_("VM"), _("State"), _("Memory"), _("PCI devices")], rows,
                                        { id: "vh-domains-table", rowProps: i => ({ "data-domain": doms.domains[i].name }) })
                                : h("p", { class: "vh-muted" }, _("libvirt has no VM.")));
    }
}
