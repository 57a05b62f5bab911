#pragma once

#include "core/network/linkstate.h"

#include <QObject>
#include <QSet>
#include <QThread>
#include <map>
#include <memory>
#include <mutex>

namespace vivarium {

class VdeManagement;

// The virtual networks of one test run: a vde_switch (hub) per VLAN, and per machine NIC a small
// switch QEMU joins plus a wirefilter that carries the NIC's frames to its VLAN switch, so each
// link can be impaired and captured on its own while the test runs. Knows every link's live
// state and emits a signal for each change. Thread-safe: the calls block the caller (the
// script's thread, the GUI's worker), the processes live on the I/O thread. Errors are thrown
// as MachineError. Destroying it (or Vivarium dying) ends every switch and filter.
class Network : public QObject {
    Q_OBJECT

public:
    Network(const TestSpec *test, QString runDir, QString outDir, QThread *ioThread);
    ~Network() override;

    // Starts every switch and filter, waits until each answers on its management socket, then
    // applies the test file's link settings and captures. Does nothing when started.
    void start();
    bool isStarted() const;

    QList<VlanState> vlans() const;
    QList<LinkState> links() const;
    LinkState link(const QString &machine, int vlan) const;

    // Changes the impairment of one link, or of every link on a VLAN, at once.
    void setLink(const QString &machine, int vlan, const LinkUpdate &update);
    void setVlan(int vlan, const LinkUpdate &update);
    // Starts capturing a VLAN (machine empty) or one NIC into a pcap file in the output
    // directory; returns its path. Starting a running capture returns its path.
    QString startCapture(int vlan, const QString &machine = {});
    void stopCapture(int vlan, const QString &machine = {});

    // The switch a machine's NIC joins; the socket QEMU's end of it is bound to.
    QString nicSwitchDir(const QString &machine, int vlan) const;
    QString nicPortSocket(const QString &machine, int vlan) const;
    // State the machine reports: whether its QEMU runs, whether block() took its links down.
    void setMachineRunning(const QString &machine, bool running);
    void setBlocked(const QString &machine, bool blocked);

    // Process ids of every switch and filter that runs.
    QList<qint64> processIds() const;
    // The first switch or filter that died, or empty.
    QString error() const;

signals:
    void linkChanged(const vivarium::LinkState &link);
    void vlanChanged(const vivarium::VlanState &vlan);
    // A switch or filter died while the network ran.
    void failed(const QString &message);

private:
    struct Process {
        QString description; // "vde_switch for VLAN 1"
        qint64 pid = 0;
        bool ended = false;
        QByteArray output; // the last of what it printed
    };
    QString netDir() const;
    QString vlanSwitchDir(int vlan) const;
    void startProcess(const QString &key, const QString &description, const QString &program,
        const QStringList &arguments);
    void waitForManagement(const QString &key, const QString &socket, VdeManagement *session);
    void onProcessEnded(const QString &key, int exitCode, bool signalled);
    void startLocked();
    void stopAll();
    QString beginCapture(int vlan, const QString &machine);
    qsizetype linkIndex(const QString &machine, int vlan) const; // throws when there is none
    void applyFilter(const LinkState &link, const LinkSettings &settings);
    // Applies change to each link of machine (under the lock); emits for those it changed.
    void updateLinksOf(const QString &machine, const std::function<bool(LinkState &link)> &change);
    void invokeBlocking(const std::function<void()> &call) const;

    const TestSpec *m_test;
    QString m_runDir;
    QString m_outDir;
    QObject *m_host; // on the I/O thread: parent of the processes and captures

    std::mutex m_startMutex; // one start() at a time
    std::mutex m_filterMutex; // one management command at a time
    mutable std::mutex m_mutex; // the state below
    bool m_started = false;
    bool m_stopping = false;
    QString m_error;
    QList<VlanState> m_vlans;
    QList<LinkState> m_links;
    std::map<QString, Process> m_processes; // by key: "v1", "web.1", "web.1.wf"
    std::map<QString, std::unique_ptr<VdeManagement>> m_filters; // by link key "web.1"
    std::map<QString, QObject *> m_captures; // PacketCapture on the I/O thread, by link key
    QSet<QString> m_capturesTaken; // every pcap file of this run
};

} // namespace vivarium
