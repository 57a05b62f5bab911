#pragma once

#include "core/guest/hostshare.h"
#include "core/network/addressing.h"
#include "core/qemu/qemucommand.h"
#include "core/spec/testspec.h"

namespace vivarium {

// Everything a machine's QEMU command line depends on, gathered by Machine::start.
struct MachineLaunchInput {
    MachineSpec spec;
    GuestArtifacts artifacts;
    MachinePaths paths;
    QString accel = QStringLiteral("tcg");
    QString stage2; // the guest's init, from prepareHostShare()
    int hostTscKhz = 0; // 0: unknown
    QList<NicAddress> nics; // the machine's VLAN NICs (none without a network)
    QString rootImage; // root = "image": the host's root image (RootImage::ensure)
    QString rootImageFormat = QStringLiteral("raw"); // or qcow2 (a machine's own `image`)
};

// The first descriptor QEMU inherits for a VLAN NIC: clear of anything it opens before it reads
// them. NIC ethK gets firstNicFd - 1 + K.
constexpr int firstNicFd = 100;

// The QEMU launch of a host-share machine: kernel and initramfs (the machine's own or the
// built ones), its kernel command line (a systemd machine boots vivarium.target; under TCG the
// host's TSC rate, which spares the guest its calibration), sockets, screen, NICs and options.
// Pure: the same input gives the same launch.
// The board is microvm unless the machine asks for pc or cannot boot on microvm.
QemuLaunch machineLaunch(const MachineLaunchInput &input);
// Why the machine cannot boot on microvm, or empty if it can.
QString microvmObstacle(const MachineLaunchInput &input);

} // namespace vivarium
