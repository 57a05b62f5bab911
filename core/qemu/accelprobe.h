#pragma once

#include <QString>

namespace vivarium {

struct AccelChoice {
    QString accel; // "kvm" or "tcg"
    QString reason; // why, for the log: "requested", "KVM works", "KVM probe timed out" ...
};

// Picks the accelerator: `requested` ("kvm", "tcg", "auto"; empty reads VIVARIUM_ACCEL, then
// "auto"). "auto" probes KVM once by booting `kernel` with it until the kernel gives up for lack
// of a root file system, with a short timeout: an openable /dev/kvm, and even firmware that
// runs, can still end in "KVM internal error". The answer is cached per host kernel and QEMU.
AccelChoice chooseAccelerator(const QString &requested, const QString &kernel);
QString qemuBinary();

} // namespace vivarium
