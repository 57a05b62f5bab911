#pragma once

#include <QString>

namespace vivarium {

struct AccelChoice {
    QString accel;  // "kvm" or "tcg"
    QString reason; // why, for the log: "requested", "KVM works", "KVM probe timed out" ...
};

// Picks the accelerator: `requested` ("kvm", "tcg", "auto"; empty reads VIVARIUM_ACCEL, then
// "auto"). "auto" probes KVM once by running the firmware with it and a short timeout, since an
// openable /dev/kvm can still hang; the answer is cached per host kernel and QEMU binary.
AccelChoice chooseAccelerator(const QString &requested = {});
QString qemuBinary();

} // namespace vivarium
