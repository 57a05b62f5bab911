#pragma once

#include <QString>
#include <optional>

namespace vivarium {

// The files every host-share guest boots from, built by scripts/build-guest and the build.
struct GuestArtifacts {
    QString dir;
    QString kernel; // uncompressed vmlinux (PVH boot)
    QString initramfs;
    QString agent; // vivarium-agent, run by the guest from the shared host root
    // Kernel parameters this kernel needs (the file kernel-append beside it, if any): Vivarium's
    // own kernel has dummy built in, which would otherwise make a dummy0 in every guest.
    QString kernelAppend;
    // Whether the kernel boots on QEMU's microvm (the file qemu-machines beside it names
    // "microvm"): it needs virtio-mmio built in and no RTC driver on IRQ 8. Vivarium's own does.
    bool microvm = false;
    // Which kernel this is: "vivarium" (Vivarium's own) or "debian" (the file flavour beside
    // it, written by scripts/build-guest; empty when an older build wrote none).
    QString flavour;

    // Looks in $VIVARIUM_GUEST_DIR, else in the build's guest directory. On failure error says
    // which file is missing and how to build it.
    static std::optional<GuestArtifacts> find(QString *error);
    // The artifacts of the kernel a machine names (`kernel = "debian"`): defaults when name is
    // empty or defaults are that kernel's, else the directory beside them, DIR-NAME, which
    // scripts/setup builds; the agent is the default's. On failure error says what to build.
    static std::optional<GuestArtifacts> named(
        const QString &name, const GuestArtifacts &defaults, QString *error);
};

} // namespace vivarium
