#include "core/machine/machinebackend.h"

namespace vivarium {

void MachineBackend::deliverBackdoor(BackdoorDecoder &decoder, const QByteArray &bytes)
{
    const QList<BackdoorFrame> frames = decoder.feed(bytes);
    if (const QString corruption = decoder.takeCorruption(); !corruption.isEmpty())
        emit backdoorCorrupted(corruption);
    for (const BackdoorFrame &frame : frames) {
        switch (frame.type) {
        case BackdoorFrame::Ready:
            emit backdoorReady();
            break;
        case BackdoorFrame::Stdout:
        case BackdoorFrame::Stderr:
            emit commandOutput(frame.id, frame.type == BackdoorFrame::Stderr, frame.payload);
            break;
        case BackdoorFrame::Exit:
            emit commandExited(
                frame.id, frame.exitStatus(), frame.exitStdoutBytes(), frame.exitStderrBytes());
            break;
        default:
            break;
        }
    }
}

void MachineBackend::setSharedLimit(const QString &directory, qint64 limitBytes)
{
    m_sharedLimit = new SharedLimit(directory, limitBytes, this);
    connect(m_sharedLimit, &SharedLimit::exceeded, this, &MachineBackend::fail);
}

void MachineBackend::sendCommand(quint32 id, const QByteArray &command)
{
    if (QIODevice *channel = backdoorChannel())
        channel->write(BackdoorFrame { BackdoorFrame::Command, id, command }.encode());
}

void MachineBackend::cancelCommand(quint32 id)
{
    if (QIODevice *channel = backdoorChannel())
        channel->write(BackdoorFrame { BackdoorFrame::Kill, id, {} }.encode());
}

QmpMessage qmpReply(const QString &error)
{
    QmpMessage reply;
    if (!error.isEmpty()) {
        reply.kind = QmpMessage::Kind::Error;
        reply.errorClass = QStringLiteral("GenericError");
        reply.errorDesc = error;
    }
    return reply;
}

} // namespace vivarium
