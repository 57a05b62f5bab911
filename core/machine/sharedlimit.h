#pragma once

#include <QObject>
#include <QString>

class QTimer;

namespace vivarium {

// Holds a guest to a size limit on what it writes into the host directory shared with it over
// 9p (root = "share": /tmp/shared and /vivarium are the host's machine directory). 9p has no
// quota, so the directory is measured every second (the disk blocks of its files) and
// exceeded() says so once; the guest may have written up to a second's worth beyond the limit
// by then. Lives on the machine's I/O thread.
class SharedLimit : public QObject {
    Q_OBJECT

public:
    SharedLimit(QString directory, qint64 limitBytes, QObject *parent = nullptr);

    void start();
    void stop();
    // A file the host itself put into the directory (copy_from_host's archive) does not count
    // while it is there. Thread-safe.
    static void exempt(const QString &path, bool on);
    // What the directory holds on disk now, in bytes, less the exempt files.
    static qint64 usage(const QString &directory);

signals:
    void exceeded(const QString &reason);

private:
    void check();

    QString m_directory;
    qint64 m_limit;
    QTimer *m_timer;
};

} // namespace vivarium
