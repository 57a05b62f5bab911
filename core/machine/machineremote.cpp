// A machine on another host (docs/scale-out.md, "Machines on another host"): QEMU runs there,
// started over the host's ssh connection through vivarium-host-exec, with its files in the
// run's directory there and its sockets forwarded to where they would be here, so the rest of
// Machine sees a QEMU like any other. Such a machine boots from the root image (the loader
// sees to it): nothing of this host's files is shared with it, and the image and the guest
// artifacts are the host's own, at the paths this host has them.
#include "core/machine/machine.h"
#include "core/machine/machineprocess.h"
#include "core/network/network.h"
#include "core/qemu/qemucommand.h"
#include "core/util/textformat.h"

#include <QFile>
#include <QStandardPaths>

namespace vivarium {

RemoteHost *Machine::remoteHost() const
{
    RemoteHost *host = m_context.hosts.value(m_spec.host);
    if (!host)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: host %2 is not connected in this run")
                .arg(m_spec.name, m_spec.host));
    return host;
}

MachinePaths Machine::remotePaths(const RemoteHost &host) const
{
    return MachinePaths::under(
        host.runDirectory() + QLatin1Char('/') + m_spec.name, RootKind::Image);
}

void Machine::sendFilesTo(RemoteHost &host, const MachinePaths &there, const QString &rootImage)
{
    const auto cannot = [&](const QString &why) {
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1 cannot boot on %2: %3").arg(m_spec.name, host.label(), why));
    };
    // One session for all of it (each costs a round trip and a process there): the machine's
    // directory, the image checked, then each file's bytes in turn on the input, each taken by
    // a dd that reads exactly its size. The initramfs carries the machine's files of this
    // start and is replaced; a disk there is the machine's own from its first start on, so
    // what the guest wrote survives a crash and a restart.
    QString script = QStringLiteral("umask 077 && mkdir -p %1 || exit 1\n"
                                    "test -r %2 || exit 3\n")
                         .arg(shellQuote(there.root), shellQuote(rootImage));
    QByteArray input;
    const auto send = [&](const QString &here, const QString &path, bool keepExisting) {
        QFile file(here);
        if (!file.open(QIODevice::ReadOnly))
            cannot(QStringLiteral("cannot read %1: %2").arg(here, file.errorString()));
        const QByteArray bytes = file.readAll();
        input += bytes;
        const QString take
            = QStringLiteral("dd bs=65536 iflag=fullblock,count_bytes count=%1 status=none")
                  .arg(bytes.size());
        const QString target = shellQuote(path);
        script += keepExisting
            ? QStringLiteral("if [ -e %1 ]; then %2 of=/dev/null; else %2 of=%1; fi || exit 1\n")
                  .arg(target, take)
            : QStringLiteral("%2 of=%1.new && mv %1.new %1 || exit 1\n").arg(target, take);
    };
    send(m_paths.initrd, there.initrd, false);
    send(m_paths.disk, there.disk, true);
    for (qsizetype i = 0; i < m_spec.disks.size(); ++i)
        send(m_paths.extraDisk(i), there.extraDisk(i), true);
    QString error;
    if (host.run(script, nullptr, &error, 600, input))
        return;
    if (error.contains(QLatin1String("failed with status 3")))
        cannot(QStringLiteral("it has no root image at %1 (the image the machine boots from: "
                              "build it there with `vivarium-test --root-image` from the same "
                              "Debian packages, or give the machine its own 'image'; "
                              "docs/scale-out.md)")
                   .arg(rootImage));
    cannot(error);
}

MachineBackend *Machine::remoteQemuProcess(
    RemoteHost &host, const QemuLaunch &launch, const MachinePaths &there)
{
    QList<RemotePort> ports;
    for (const QemuNic &nic : launch.nics)
        ports.append({ m_context.network->nicSwitchDir(m_spec.name, nic.vlan),
            m_context.network->nicPortSocket(m_spec.name, nic.vlan), nic.fd });
    const QStringList command
        = QStringList { QStringLiteral("qemu-system-x86_64") } + qemuArguments(launch);
    auto *process
        = new MachineProcess(m_spec.name, QStandardPaths::findExecutable(QStringLiteral("ssh")),
            host.execArguments(command, ports, there.qmpSocket), m_paths.qmpSocket,
            m_paths.serialSocket, m_paths.backdoorSocket, m_paths.shellSocket, m_context.outDir);
    QList<std::pair<QString, QString>> forwards { { m_paths.qmpSocket, there.qmpSocket },
        { m_paths.serialSocket, there.serialSocket },
        { m_paths.backdoorSocket, there.backdoorSocket },
        { m_paths.shellSocket, there.shellSocket } };
    if (!launch.vncSocket.isEmpty())
        forwards.append({ m_paths.vncSocket, there.vncSocket });
    process->setRemote(&host, forwards);
    return process;
}

} // namespace vivarium
