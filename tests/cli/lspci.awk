# `lspci -Dnnk` -> one "BDF vendor:device driver" line per device ("-" when unbound).
# Used by the CLI tests and the VM suite to compare with `vfio-handoff list --json`.
# (POSIX awk: mawk has no {n} intervals.)
/^[0-9a-f]+:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] / {
    if (bdf != "") print bdf, ids, drv
    bdf = $1; drv = "-"; ids = ""
    line = $0
    # the device's IDs are the last [vvvv:dddd] of its first line
    while (match(line, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/)) {
        ids = substr(line, RSTART + 1, 9); line = substr(line, RSTART + RLENGTH)
    }
}
/^\tKernel driver in use: / { drv = $5 }
END { if (bdf != "") print bdf, ids, drv }
