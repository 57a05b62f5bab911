#pragma once

#include "core/network/vdeport.h"

#include <QFile>
#include <QObject>

class QSocketNotifier;

namespace vivarium {

// Writes every frame a switch carries into a pcap file (link type Ethernet) that Wireshark and
// tshark read, also while the capture runs. It joins the switch as one more port; the switches
// run as hubs, so that port sees all traffic. Lives on the I/O thread.
class PacketCapture : public QObject {
    Q_OBJECT

public:
    explicit PacketCapture(QObject *parent = nullptr);
    ~PacketCapture() override;

    // Returns false with error when the file cannot be written or the switch does not answer.
    bool start(const QString &switchDir, const QString &portSocket, const QString &pcapPath,
        QString *error);
    qint64 packets() const { return m_packets; }

private:
    void readFrames();

    VdePort m_port;
    QFile m_file;
    QSocketNotifier *m_notifier = nullptr;
    qint64 m_packets = 0;
};

} // namespace vivarium
