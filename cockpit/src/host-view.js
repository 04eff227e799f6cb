/* The host view: `check` on top with each failure's fix, then every PCI device in a box per IOMMU
 * group (the kernel hands a group to a VM whole), with its state, verdict and actions. */
/* global cockpit */

import { h, replace, button, label, alert, errorsAlert } from "./dom.js";
import { deviceState, verdict, deviceName, deviceIds, groups, domainsWith } from "./model.js";
import { enableDialog, disableDialog, addDialog } from "./dialogs.js";

const _ = cockpit.gettext;

const FILTERS = [
    ["all", _("All devices")],
    ["passable", _("Can be passed through")],
    ["enabled", _("Enabled")],
    ["in-use", _("Handed off or parked")],
];

export class HostView {
    constructor(refresh) {
        this.refresh = refresh;
        this.search = "";
        this.filter = "all";
        this.checkBox = h("div", { id: "vh-check" });
        this.groupsBox = h("div", { id: "vh-groups", class: "vh-groups" });
        this.searchInput = h("input", {
            class: "vh-search", type: "search", id: "vh-search", placeholder: _("Search by address, name, ID or driver"),
            "aria-label": _("Search devices"),
            oninput: ev => { this.search = ev.target.value.trim().toLowerCase(); this.renderGroups() },
        });
        this.filterSelect = h("select", {
            class: "vh-select", id: "vh-filter", "aria-label": _("Show"),
            onchange: ev => { this.filter = ev.target.value; this.renderGroups() },
        }, FILTERS.map(([v, t]) => h("option", { value: v }, t)));
        this.el = h("section", { class: "vh-host-view", id: "vh-host-view" },
                    this.checkBox,
                    h("div", { class: "vh-toolbar" },
                      h("div", { class: "pf-v6-c-text-input-group vh-search-group" },
                        h("div", { class: "pf-v6-c-text-input-group__main" },
                          h("span", { class: "pf-v6-c-text-input-group__text" }, this.searchInput))),
                      this.filterSelect),
                    this.groupsBox);
    }

    update(host) {
        this.host = host;
        this.renderCheck();
        this.renderGroups();
    }

    renderCheck() {
        const check = this.host.check;

        if (check === null) {
            replace(this.checkBox, errorsAlert(_("The host check did not run"), this.host.errors.check?.errors || []));
            return;
        }
        const items = check.checks || [];
        const bad = items.filter(c => c.status !== "pass");
        const passed = items.length - bad.length;
        const ok = check.passthrough_possible;

        replace(this.checkBox, alert(ok ? (bad.length ? "warning" : "success") : "danger",
                                     ok ? _("PCI passthrough is possible on this host") : _("PCI passthrough is not possible on this host yet"),
                                     [
                                         bad.length > 0
                                             ? h("ul", { class: "vh-check-list" }, bad.map(c =>
                                                 h("li", { class: "vh-check-item", "data-check": c.id },
                                                   label(c.status === "fail" ? _("Fail") : _("Warning"), c.status === "fail" ? "red" : "orange"),
                                                   " ", h("span", { class: "vh-check-reason" }, c.reason),
                                                   c.fix ? h("div", { class: "vh-error-fix" }, h("strong", null, _("Fix: ")), c.fix) : null)))
                                             : null,
                                         h("details", { class: "vh-check-passed" },
                                           h("summary", null, cockpit.format(cockpit.ngettext("$0 check passed", "$0 checks passed", passed), passed)),
                                           h("ul", null, items.filter(c => c.status === "pass").map(c => h("li", null, h("code", null, c.id), " ", c.reason)))),
                                     ], { id: "vh-check-alert" }));
    }

    matches(dev) {
        const st = deviceState(dev, this.host);

        if (this.filter === "passable" && !(dev.passable && dev.endpoint))
            return false;
        if (this.filter === "enabled" && !dev.policy?.enabled)
            return false;
        if (this.filter === "in-use" && !["handed-off", "wedged", "stuck", "orphan", "unplugged", "parked"].includes(st.kind))
            return false;
        if (this.search === "")
            return true;
        return [dev.address, deviceName(dev), deviceIds(dev), dev.driver || "", dev.class_name || "", st.text]
                .some(s => s.toLowerCase().includes(this.search));
    }

    renderGroups() {
        const list = this.host.list;

        if (list === null) {
            replace(this.groupsBox, errorsAlert(_("The devices cannot be listed"), this.host.errors.list?.errors || []));
            return;
        }
        const shown = groups(list.devices).filter(g => g.members.some(d => this.matches(d)));

        if (shown.length === 0) {
            replace(this.groupsBox, h("div", { class: "pf-v6-c-empty-state", id: "vh-no-match" },
                                      h("div", { class: "pf-v6-c-empty-state__content" },
                                        h("div", { class: "pf-v6-c-empty-state__body" }, _("No device matches.")))));
            return;
        }
        replace(this.groupsBox, shown.map(g => this.groupBox(g)));
    }

    groupBox(g) {
        const endpoints = g.members.filter(d => d.endpoint);
        const title = g.number !== null ? cockpit.format(_("IOMMU group $0"), g.number) : _("No IOMMU group");
        const note = endpoints.length > 1
            ? _("These devices go to a VM together: the kernel hands an IOMMU group over whole")
            : null;

        return h("div", { class: "pf-v6-c-card pf-m-compact vh-group", "data-group": g.number ?? "" },
                 h("div", { class: "pf-v6-c-card__header" },
                   h("div", { class: "pf-v6-c-card__title" },
                     h("h2", { class: "pf-v6-c-card__title-text vh-group-title" }, title,
                       " ", h("span", { class: "vh-muted" }, cockpit.format(cockpit.ngettext("$0 device", "$0 devices", g.members.length), g.members.length))),
                     note ? h("div", { class: "vh-group-note" }, note) : null)),
                 h("div", { class: "pf-v6-c-card__body" },
                   g.members.map(d => this.deviceRow(d))));
    }

    deviceRow(dev) {
        const st = deviceState(dev, this.host);
        const v = verdict(dev);
        const actions = [];
        const act = (name, text, fn, variant) => {
            const b = button(text, fn, { variant });
            b.dataset.action = name;
            b.dataset.address = dev.address;
            actions.push(b);
        };

        // bridges (host bridges included) stay with the host: nothing to enable
        if (dev.endpoint && !String(dev.class).startsWith("06") && !dev.policy?.enabled &&
            !["handed-off", "wedged", "stuck", "companion"].includes(st.kind))
            act("enable", _("Enable…"), () => enableDialog(dev, this.host, this.refresh), "secondary");
        if (dev.policy?.enabled) {
            act("add", _("Add to VM…"), () => addDialog(dev, this.host, this.refresh), "primary");
            act("disable", _("Disable…"), () => disableDialog(dev, this.host, this.refresh), "link");
        }

        const inDomains = domainsWith(this.host, dev.address).map(d => d.name);

        return h("div", { class: "vh-device" + (this.matches(dev) ? "" : " vh-dimmed"), "data-address": dev.address, "data-state": st.kind },
                 h("div", { class: "vh-device-main" },
                   h("div", { class: "vh-device-name" },
                     h("span", { class: "vh-address" }, dev.address), " ",
                     h("span", null, deviceName(dev))),
                   h("dl", { class: "vh-facts" },
                     fact(_("ID"), deviceIds(dev)),
                     fact(_("Class"), dev.class_name || dev.class),
                     fact(_("Driver"), dev.driver || _("none")),
                     fact(_("Reset"), resetText(dev)),
                     inDomains.length > 0 ? fact(_("In VMs"), inDomains.join(", ")) : null),
                   h("div", { class: "vh-verdict " + (v.ok ? "vh-ok" : "vh-no"), "data-verdict": v.ok ? "ok" : "no" },
                     v.text, v.fix && !dev.host_critical ? h("span", { class: "vh-fix" }, " — ", _("Fix: "), v.fix) : null)),
                 h("div", { class: "vh-device-side" },
                   st.text ? label(st.text, st.color) : null,
                   h("div", { class: "vh-actions" }, actions)));
    }
}

/* "flr", "bus (uncertain)", "none" */
function resetText(dev) {
    if (!dev.reset)
        return _("none");
    return dev.reset + (dev.reset_health && dev.reset_health !== "clean" ? ` (${dev.reset_health})` : "");
}

function fact(term, value) {
    return h("div", { class: "vh-fact" }, h("dt", null, term), h("dd", null, value));
}
