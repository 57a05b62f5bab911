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

    // Looks in $VIVARIUM_GUEST_DIR, else in the build's guest directory. On failure error says
    // which file is missing and how to build it.
    static std::optional<GuestArtifacts> find(QString *error);
};

} // namespace vivarium
