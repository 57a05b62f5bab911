#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <map>
#include <mutex>

class QObject;
class QThread;

namespace vivarium {

class VdeManagement;

// The network's helper processes (vde_switch, wirefilter): started on the I/O thread, each
// with its description ("wirefilter for web on VLAN 1") and the last of what it printed, so
// that an early death or a silence is reported with both. Thread-safe. Destroying it (or
// stopAll()) kills and reaps every one, quietly.
class ProcessSupervisor {
public:
    using Id = int;
    // ended: a process that ended while supervised (not by stopAll), with the message saying
    // so; called on the I/O thread.
    ProcessSupervisor(QThread *ioThread, std::function<void(Id, const QString &)> ended);
    ~ProcessSupervisor();
    ProcessSupervisor(const ProcessSupervisor &) = delete;
    ProcessSupervisor &operator=(const ProcessSupervisor &) = delete;

    // Starts program; throws MachineError when it cannot be started.
    Id start(const QString &description, const QString &program, const QStringList &arguments);
    // Opens session on the process's management socket, retrying until it answers; throws
    // when it ended or stays silent, with what it printed.
    void waitForManagement(Id id, const QString &socket, VdeManagement *session);
    void stopAll();
    QList<qint64> processIds() const; // of those that run
    // Runs call on the I/O thread and waits for it.
    void invokeBlocking(const std::function<void()> &call) const;
    QObject *host() const { return m_host; } // on the I/O thread: a parent for its objects

private:
    struct Supervised {
        QString description;
        qint64 pid = 0;
        bool ended = false;
        QByteArray output; // the last of what it printed
    };
    void onEnded(Id id, int exitCode, bool signalled);

    QObject *m_host;
    std::function<void(Id, const QString &)> m_ended;
    mutable std::mutex m_mutex;
    bool m_stopping = false;
    Id m_next = 1;
    std::map<Id, Supervised> m_processes;
};

} // namespace vivarium
