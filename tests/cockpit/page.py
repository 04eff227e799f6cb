"""The Cockpit page's browser test (run by test-cockpit.sh, which starts cockpit-ws on a fake host):
logs in to the local session through Cockpit's shell, finds the page in its menu, and drives it as
a user: the device boxes against `list --json`, a refused enable, enabling a NIC, adding it to a
shut-off VM, the VM's start and crash seen in the status view without a reload, recover, remove.
TAP on stdout; a screenshot of each view in $VH_SHOTS."""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

URL = os.environ["VH_URL"]
ROOT = os.environ["VH_HOST_ROOT"]
LIBVIRT = os.environ["VH_FAKE_LIBVIRT_DIR"]
SHOTS = os.environ["VH_SHOTS"]
TMP = os.environ["VH_TMP"]
CLI = os.environ["VH_CLI"]
HOOK = os.environ["VH_HOOK"]
NIC, DISK, GPU, AUDIO, IGPU = "0000:05:00.0", "0000:02:00.0", "0000:01:00.0", "0000:01:00.1", "0000:00:02.0"
SPARE = "0000:03:00.0"  # the NVMe the host does not use
QEMU_PID = "4242"
ROUTER_PID = "4343"

n = 0
failed = 0


def ok(cond, desc, *diag):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {desc}")
    if not cond:
        failed += 1
        for d in diag:
            for line in str(d).splitlines():
                print("#   " + line)
    sys.stdout.flush()
    if not cond and os.environ.get("VH_TEST_BAIL"):
        print("Bail out! the first failure ends the script (VH_TEST_BAIL)")
        raise SystemExit(1)
    return cond


def is_(got, expected, desc):
    return ok(got == expected, desc, f"expected: {expected!r}", f"got:      {got!r}")


def cli(*args, libvirt=LIBVIRT):
    """The CLI on the fake host: (exit code, parsed --json document)"""
    env = dict(os.environ, VH_ROOT=ROOT, VH_FAKE_LIBVIRT_DIR=libvirt,
               VH_LIBVIRT_LIBRARY=os.environ["VH_FAKE_LIBVIRT"])
    p = subprocess.run([CLI, *args, "--json"], env=env, capture_output=True, text=True)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None


def hook(domain, op, sub):
    """The hook as libvirt runs it at a start or stop, with the domain's definition"""
    env = dict(os.environ, VH_ROOT=ROOT)
    with open(os.path.join(LIBVIRT, f"{domain}.xml")) as xml:
        p = subprocess.run([HOOK, domain, op, sub, "-"], stdin=xml, env=env, capture_output=True,
                           text=True)
    return p.returncode, p.stderr


def qemu_runs(domain, pid):
    """A QEMU process for @domain: its /proc, libvirt's pid file, the live definition"""
    os.makedirs(f"{ROOT}/run/libvirt/qemu", exist_ok=True)
    os.makedirs(f"{ROOT}/proc/{pid}/fd", exist_ok=True)
    with open(f"{ROOT}/proc/{pid}/comm", "w") as f:
        f.write("qemu-system-x86\n")
    with open(f"{ROOT}/proc/{pid}/stat", "w") as f:
        f.write(f"{pid} (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n")
    with open(f"{ROOT}/run/libvirt/qemu/{domain}.pid", "w") as f:
        f.write(pid + "\n")
    shutil.copy(f"{LIBVIRT}/{domain}.xml", f"{LIBVIRT}/{domain}.live.xml")


def vm_starts(domain, pid):
    """What libvirt does at a start: prepare, QEMU runs, started"""
    rc, err = hook(domain, "prepare", "begin")
    qemu_runs(domain, pid)
    rc2, err2 = hook(domain, "started", "begin")
    return rc or rc2, err + err2


def qemu_dies(domain, pid):
    """QEMU killed, and libvirt's daemon gone with it: no release hook ran"""
    shutil.rmtree(f"{ROOT}/proc/{pid}")
    os.unlink(f"{LIBVIRT}/{domain}.live.xml")


def sysfs_write(path, value):
    """A write to the fake kernel's sysfs, as a tool or a user would make it"""
    with open(f"{ROOT}/sys/{path}", "w") as f:
        f.write(value)


def driver(address):
    link = f"{ROOT}/sys/bus/pci/devices/{address}/driver"
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else "-"


def drop_in(address):
    return f"{ROOT}/etc/vfio-handoff/conf.d/50-{address}.conf"


def row(address):
    return f'.vh-device[data-address="{address}"]'


def shot(b, name, full_page=False):
    b.screenshot(os.path.join(SHOTS, name), full_page=full_page)


def chromium_litter():
    tmp = os.environ.get("TMPDIR", "/tmp")
    return {f for f in os.listdir(tmp) if f.startswith("org.chromium.")}


def main():
    litter = chromium_litter()
    b = cdp.Browser(os.environ["VH_CHROMIUM"], os.environ["VH_PROFILE"])
    try:
        run(b)
    except cdp.BrowserError as e:
        ok(False, "the page answered as expected", str(e), *b.console[-10:])
        try:
            shot(b, "failure.png")
        except cdp.BrowserError:
            pass
    finally:
        b.close()
    is_(sorted(chromium_litter() - litter), [], "Chromium left nothing in the temp directory")
    print(f"1..{n}")
    return 1 if failed else 0


def run(b):
    # ---- Cockpit's shell: the page in its menu, loaded in its frame
    b.navigate(URL + "/vfio-handoff")
    b.wait("document.querySelector('#host-apps a[href=\"/vfio-handoff\"]')", 30, "the shell's menu")
    is_(b.eval("document.querySelector('#host-apps a[href=\"/vfio-handoff\"]').innerText.trim()"),
        "PCI Passthrough", "Cockpit's menu has the page, named PCI Passthrough")
    b.doc = "document.querySelector('iframe[name=\"cockpit1:localhost/vfio-handoff\"]').contentDocument"
    b.wait(f"{b.doc} && {b.q('#app')} && {b.q('#app')}.dataset.refreshed", 30, "the page's first reading")

    # ---- the host view: every device of `list --json`, in its IOMMU group's box
    rc, listed = cli("list")
    shown = b.eval(f"[...{b.doc}.querySelectorAll('.vh-device')].map(e => [e.dataset.address, "
                   "e.closest('.vh-group').dataset.group, e.querySelector('.vh-facts').innerText])")
    is_([(a, g) for a, g, _ in shown],
        [(d["address"], str(d["iommu_group"])) for d in
         sorted(listed["devices"], key=lambda d: (d["iommu_group"], d["address"]))],
        "the page shows every device of list --json, each in its IOMMU group's box")
    ok(all(f"Driver\n{d['driver'] or 'none'}" in f.replace("\t", "\n") or
           f"Driver {d['driver'] or 'none'}" in f.replace("\n", " ")
           for d, (_a, _g, f) in zip(sorted(listed["devices"], key=lambda d: (d["iommu_group"], d["address"])), shown)),
       "... with the driver list --json gives", shown[:3])
    is_(b.text(f'{row(DISK)} .vh-verdict'), "host-critical: /dev/mapper/vg0-root is mounted at /",
        "the boot NVMe's verdict is the hook's reason")
    is_(b.text(f'.vh-group[data-group="1"] .vh-group-note'),
        "These devices go to a VM together: the kernel hands an IOMMU group over whole",
        "the GPU's group says its devices go together")
    ok("PCI passthrough is possible on this host" in b.text("#vh-check-alert"),
       "the host's check is on top", b.text("#vh-check-alert"))
    faces = b.eval(f"{b.doc}.fonts.load('16px RedHatText').then(f => f.map(x => x.status))")
    is_(faces, ["loaded"], "the page's text is in Cockpit's own Red Hat Text, loaded from its static/fonts")
    shot(b, "host-view.png")
    b.set_value("#vh-search", "i210")
    b.wait(f"{b.doc}.querySelectorAll('.vh-group').length === 1", what="one group left")
    is_(b.eval(f"[...{b.doc}.querySelectorAll('.vh-device')].map(e => e.dataset.address)"),
        [NIC], "searching for i210 leaves the I210 NIC alone")
    b.set_value("#vh-search", "")

    # ---- enabling a host-critical device: the refusal, its fix, nothing written
    _rc, refused = cli("enable", DISK, "--dry-run")
    b.click(f'button[data-action="enable"][data-address="{DISK}"]')
    text = b.wait_text("#vh-enable-refusal")
    e = refused["errors"][0]
    ok(f"{e['subject']}: {e['reason']}" in text and f"Fix: {e['fix']}" in text,
       "enabling the boot NVMe shows the CLI's refusal with its fix", text)
    shot(b, "refusal.png")
    b.click("#vh-enable-apply")
    text = b.wait_text("#vh-enable-error")
    ok("Not done" in text and f"{e['subject']}: {e['reason']}" in text and f"Fix: {e['fix']}" in text,
       "... Enable anyway: not done, the same reason and fix", text)
    is_((os.path.exists(drop_in(DISK)), driver(DISK)), (False, "nvme"), "... no drop-in, the NVMe on nvme")
    b.click("#vh-enable-cancel")

    # ---- the GPU: its audio function named as going with it; the boot GPU: console handoff
    b.click(f'button[data-action="enable"][data-address="{GPU}"]')
    is_(b.wait_text("#vh-enable-companions").split(" — ")[0], AUDIO,
        "enabling the GPU names its audio function, which goes with it")
    b.wait_text("#vh-enable-preview .vh-summary")
    b.click("#vh-enable-apply")
    b.wait_text("#vh-enable-done")
    b.click("#vh-enable-close")
    audio_label = f'{row(AUDIO)} .pf-v6-c-label'
    text = b.wait(f"{b.q(audio_label)} && {b.q(audio_label)}.innerText", 15, "the audio function's state")
    is_((text, b.eval(f"!!{b.q(f'button[data-action=enable][data-address={AUDIO!r}]'.replace(chr(39), chr(34)))}")),
        (f"Goes with {GPU}", False), "... once enabled, the audio function shows it goes with the GPU, with no Enable of its own")
    b.click(f'button[data-action="enable"][data-address="{IGPU}"]')
    b.wait_text("#vh-enable-refusal")
    b.click("#vh-enable-console")
    text = b.wait(f"!{b.q('#vh-enable-refusal')} && {b.q('#vh-enable-preview')}.innerText.includes('would enable')",
                  what="the preview with console handoff")
    ok(text, "the boot GPU offers console handoff, and with it ticked it would be enabled")
    b.click("#vh-enable-cancel")

    # ---- enabling the spare NIC writes its drop-in
    b.click(f'button[data-action="enable"][data-address="{NIC}"]')
    b.wait_text("#vh-enable-preview .vh-summary")
    b.set_value("#vh-enable-domains", "win11, router")
    b.wait(f"{b.q('#vh-enable-preview')}.innerText.includes('for win11, router')", what="the preview for two VMs")
    b.click("#vh-enable-apply")
    text = b.wait_text("#vh-enable-done")
    ok(f"enabled {NIC}" in text, "enabling the NIC for win11 and router says so", text)
    content = open(drop_in(NIC)).read() if os.path.exists(drop_in(NIC)) else ""
    ok(f"[device {NIC}]\nenabled=true\ndomains=win11;router\nidentity=8086:1533:0000:0000" in content,
       "... and writes its drop-in, those VMs alone, its identity pinned", content)
    b.click("#vh-enable-close")
    is_(b.wait_text(f'{row(NIC)} .pf-v6-c-label'), "Enabled for win11, router", "... the NIC is shown enabled for them")

    # ---- adding it to a shut-off VM changes its XML as `add` does
    twin = os.path.join(TMP, "libvirt-twin")
    shutil.copytree(LIBVIRT, twin)
    b.click(f'button[data-action="add"][data-address="{NIC}"]')
    b.set_value("#vh-add-domain", "win11")
    diff = b.wait_text("#vh-add-preview #vh-diff")
    ok("+    <hostdev mode='subsystem' type='pci' managed='no'>" in diff,
       "adding it to win11 previews the definition's diff", diff)
    shot(b, "add.png")
    b.click("#vh-add-apply")
    text = b.wait_text("#vh-add-done")
    ok("locked the guest's memory" in text, "... adding it says what was locked", text)
    rc, _doc = cli("add", "win11", NIC, libvirt=twin)
    is_(open(f"{LIBVIRT}/win11.xml").read(), open(f"{twin}/win11.xml").read(),
        "... win11's definition is what vfio-handoff add makes of it")
    b.click("#vh-add-close")

    # ---- the VM starts: the status view shows the NIC held, with no reload
    rc, err = vm_starts("win11", QEMU_PID)
    is_((rc, driver(NIC)), (0, "vfio-pci"), "win11 starts: the hook hands the NIC to vfio-pci")
    b.click("#vh-tab-status")
    status_row = f'#vh-status-table tr[data-address="{NIC}"]'
    want = ["Handed off to win11", "igb", QEMU_PID]
    try:
        b.wait(f"{b.q(status_row)} && {json.dumps(want)}.every(w => {b.q(status_row)}.innerText.includes(w))",
               15, "the held NIC with its QEMU")
    except cdp.BrowserError:
        pass
    text = b.text(status_row)
    ok(text and all(w in text for w in want),
       "the status view shows the NIC handed off to win11, going back to igb, its QEMU", text)
    cell = f'#vh-domains-table tr[data-domain="win11"] td:nth-child(2)'
    try:
        b.wait(f"{b.q(cell)} && {b.q(cell)}.innerText === 'Running'", 15, "win11 running")
    except cdp.BrowserError:
        pass
    is_(b.text(cell), "Running", "... and win11 running")
    shot(b, "status.png")

    # ---- QEMU dies: an orphan, and recover gives it back
    qemu_dies("win11", QEMU_PID)
    text = b.wait(f"{b.q(status_row)} && {b.q(status_row)}.innerText.includes('Orphan')", 15, "the orphan")
    ok(text, "QEMU killed: the status view shows the NIC as an orphan")
    b.click("#vh-recover-open")
    text = b.wait_text("#vh-recover-preview .vh-summary")
    ok(f"would give {NIC} back to igb" in text, "recover previews giving the NIC back", text)
    shot(b, "recover.png")
    b.click("#vh-recover-apply")
    text = b.wait_text("#vh-recover-done")
    is_(driver(NIC), "igb", "... recover gives it back: the NIC is on igb")
    b.click("#vh-recover-close")
    b.wait(f"!{b.q(status_row)}", 15, "the row to go")
    ok(True, "... and the status view no longer lists it")

    # ---- remove: what add put in win11's definition is taken out
    b.click(f'button[data-action="remove"][data-domain="win11"][data-address="{NIC}"]')
    b.wait_text("#vh-remove-preview #vh-diff")
    b.click("#vh-remove-apply")
    b.wait_text("#vh-remove-done")
    rc, _doc = cli("remove", "win11", NIC, libvirt=twin)
    xml = open(f"{LIBVIRT}/win11.xml").read()
    ok("<hostdev" not in xml and "<locked/>" not in xml and xml == open(f"{twin}/win11.xml").read(),
       "removing it from win11 takes out the hostdev and the lock, as remove does", xml)
    b.click("#vh-remove-close")

    # ---- a running VM: the NIC hot-plugged into it, and unplugged again
    qemu_runs("router", ROUTER_PID)
    b.click("#vh-tab-host")
    b.click(f'button[data-action="add"][data-address="{NIC}"]')
    b.wait(f"[...{b.q('#vh-add-domain')}.options].some(o => o.text === 'router (running: hot-plugged now and kept in its definition)')",
           15, "router offered as running")
    b.set_value("#vh-add-domain", "router")
    text = b.wait(f"{b.q('#vh-add-preview')}.innerText.includes('would hot-plug') && {b.q('#vh-add-preview')}.innerText",
                  what="the hot-plug preview")
    ok(f"would hot-plug {NIC}" in text, "adding it to the running router previews the hot-plug", text)
    b.click("#vh-add-apply")
    text = b.wait_text("#vh-add-done")
    live = open(f"{LIBVIRT}/router.live.xml").read()
    ok(driver(NIC) == "vfio-pci" and "bus='0x05'" in live and "bus='0x05'" in open(f"{LIBVIRT}/router.xml").read(),
       "... applied: on vfio-pci, in router's live definition and its persistent one", text, live)
    b.click("#vh-add-close")
    b.click("#vh-tab-status")
    b.click(f'button[data-action="remove"][data-domain="router"][data-address="{NIC}"]')
    b.wait_text("#vh-remove-preview .vh-summary")
    b.click("#vh-remove-apply")
    text = b.wait_text("#vh-remove-done")
    is_((driver(NIC), "bus='0x05'" in open(f"{LIBVIRT}/router.live.xml").read()), ("igb", False),
        "removing it from the running router unplugs it and gives it back to igb")
    b.click("#vh-remove-close")

    # ---- a device someone left on vfio-pci: parked, and given back
    sysfs_write(f"bus/pci/devices/{SPARE}/driver_override", "vfio-pci")
    sysfs_write(f"bus/pci/devices/{SPARE}/driver/unbind", SPARE)
    sysfs_write("bus/pci/drivers_probe", SPARE)
    parked_row = f'#vh-parked-table tr:has(button[data-address="{SPARE}"])'
    text = b.wait(f"{b.q(parked_row)} && {b.q(parked_row)}.innerText", 15, "the parked NVMe")
    ok(SPARE in text, "an NVMe left on vfio-pci by hand shows as parked, with what to do", text)
    shot(b, "parked.png")
    b.click(f'button[data-action="reattach--adopt"][data-address="{SPARE}"]')
    b.click("#vh-reattach-apply")
    b.wait_text("#vh-reattach-done")
    is_(driver(SPARE), "nvme", "... Give back hands it to the driver the kernel picks: nvme")
    b.click("#vh-reattach-close")

    # ---- a GPU that did not come back from its reset: wedged, given back only by force
    rc, _doc = cli("add", "win11", GPU)
    rc2, err = vm_starts("win11", QEMU_PID)
    with open(f"{ROOT}/.fake/faults", "w") as f:
        f.write(f"[wedge]\nreset={GPU}\n")
    sysfs_write(f"bus/pci/devices/{GPU}/reset", "1")  # what vfio-pci does when QEMU lets go
    rc3, err3 = hook("win11", "release", "end")
    qemu_dies("win11", QEMU_PID)
    is_((rc, rc2, rc3, driver(GPU), driver(AUDIO)), (0, 0, 0, "vfio-pci", "snd_hda_intel"),
        "win11 with the GPU stops, the GPU wedged by its reset: kept on vfio-pci, its audio back")
    gpu_row = f'#vh-status-table tr[data-address="{GPU}"]'
    text = b.wait(f"{b.q(gpu_row)} && {b.q(gpu_row)}.innerText.includes('Wedged') && {b.q(gpu_row)}.innerText",
                  15, "the wedged GPU")
    ok("Wedged" in text, "the status view shows the GPU wedged", text)
    b.click(f'button[data-action="reattach--force"][data-address="{GPU}"]')
    text = b.wait_text("#vh-reattach")
    ok("does not answer after its reset" in text and "can hang the host" in text,
       "Force give back asks first, saying why it is wedged and what it risks", text)
    shot(b, "wedged.png")
    b.click("#vh-reattach-apply")
    b.wait_text("#vh-reattach-done")
    is_(driver(GPU), "nouveau", "... and then gives the GPU back to nouveau")
    b.click("#vh-reattach-close")
    errors = [c for c in b.console if c.startswith("exception") or
              (c.startswith("browser error") and "/vfio-handoff/" in c)]
    ok(not errors, "no script error in the page, no load it was refused (CSP) or could not make",
       *errors)


if __name__ == "__main__":
    sys.exit(main())
