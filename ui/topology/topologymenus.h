#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>

class QMenu;
class QWidget;

namespace vivarium {

class LinkDialog;
class Workbench;
struct LinkState;
struct VlanState;

// The topology graph's menus on links and VLANs: impairment (a dialog applied live), start and
// stop a capture, open the capture in Wireshark when it is installed (else show its path).
class TopologyMenus : public QObject {
    Q_OBJECT

public:
    TopologyMenus(Workbench *workbench, QWidget *window);

    void showLinkMenu(const QString &machine, int vlan, const QPoint &globalPos);
    void showVlanMenu(int vlan, const QPoint &globalPos);
    // The menus' parts, for the menus and the tests. machine empty: the whole VLAN.
    QMenu *linkMenu(const QString &machine, int vlan); // owned by the caller
    LinkDialog *openImpairmentDialog(const QString &machine, int vlan); // non-modal
    QString captureOf(const QString &machine, int vlan) const; // the last pcap file, or empty
    bool isCapturing(const QString &machine, int vlan) const;
    static QString wiresharkProgram(); // empty when not installed

private:
    void onLinkChanged(const LinkState &link);
    void onVlanChanged(const VlanState &vlan);
    static QString key(const QString &machine, int vlan);

    Workbench *m_workbench;
    QWidget *m_window;
    QHash<QString, QString> m_lastCapture; // key → the pcap file of its latest capture
    QHash<QString, bool> m_capturing;
    QPointer<LinkDialog> m_dialog;
};

} // namespace vivarium
