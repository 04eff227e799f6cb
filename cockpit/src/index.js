/* vfio-handoff's Cockpit page: two views over the CLI's documents, re-read every few seconds (and
 * at once after a change), so that a VM's start or stop shows without a reload. */
/* global cockpit */

import { readHost } from "./cli.js";
import { h, replace, spinner } from "./dom.js";
import { HostView } from "./host-view.js";
import { StatusView } from "./status-view.js";

const _ = cockpit.gettext;
const REFRESH_MS = 4000;

class Page {
    constructor(root) {
        this.root = root;
        this.view = "host";
        this.hostView = new HostView(() => this.refresh());
        this.statusView = new StatusView(() => this.refresh());
        this.body = h("div", { class: "vh-body" }, spinner(_("Reading the host…")));
        this.tabs = h("div", { class: "pf-v6-c-tabs vh-tabs", role: "region" },
                      h("ul", { class: "pf-v6-c-tabs__list", role: "tablist" },
                        this.tab("host", _("Host devices")),
                        this.tab("status", _("Handed off and VMs"))));
        replace(root,
                h("div", { class: "vh-header" },
                  h("h1", { class: "pf-v6-c-title pf-m-2xl" }, _("PCI Passthrough")),
                  h("p", { class: "vh-muted" }, _("Enable devices for passthrough, add them to VMs: each is handed to vfio-pci when its VM starts and given back when it stops."))),
                this.tabs, this.body);
        this.pending = null;
        this.again = false;
    }

    tab(name, text) {
        return h("li", { class: "pf-v6-c-tabs__item" + (this.view === name ? " pf-m-current" : ""), role: "presentation", "data-tab": name },
                 h("button", { class: "pf-v6-c-tabs__link", role: "tab", type: "button", id: `vh-tab-${name}`, onclick: () => this.show(name) },
                   h("span", { class: "pf-v6-c-tabs__item-text" }, text)));
    }

    show(name) {
        this.view = name;
        this.tabs.querySelectorAll(".pf-v6-c-tabs__item").forEach(li => {
            li.classList.toggle("pf-m-current", li.dataset.tab === name);
            li.querySelector("button").setAttribute("aria-selected", li.dataset.tab === name ? "true" : "false");
        });
        this.render();
    }

    render() {
        if (!this.host)
            return;
        const view = this.view === "host" ? this.hostView : this.statusView;
        if (this.body.firstChild !== view.el)
            replace(this.body, view.el);
        this.root.setAttribute("aria-busy", "false");
    }

    /* Reads the host again; a refresh asked for meanwhile runs once after this one */
    refresh() {
        if (this.pending) {
            this.again = true;
            return this.pending;
        }
        this.pending = readHost().then(host => {
            // unchanged: nothing is drawn again, so a button is never replaced under the pointer
            const seen = JSON.stringify(host, (k, v) => v instanceof Error ? { errors: v.errors } : v);
            if (seen !== this.seen) {
                this.seen = seen;
                this.host = host;
                this.hostView.update(host);
                this.statusView.update(host);
            }
            this.root.dataset.refreshed = String(Date.now());
            this.render();
        }).finally(() => {
            this.pending = null;
            if (this.again) {
                this.again = false;
                this.refresh();
            }
        });
        return this.pending;
    }
}

const page = new Page(document.getElementById("app"));
page.refresh();
setInterval(() => {
    // no reading while a dialog is open (it shows what it is about) or the page is not seen
    if (!cockpit.hidden && document.visibilityState === "visible" && !document.querySelector(".vh-backdrop"))
        page.refresh();
}, REFRESH_MS);
