#pragma once

#include <QImage>
#include <QObject>
#include <QRect>

class QWidget;

namespace vivarium {

class Machine;
class Workbench;

// What the Screen tab offers for recording waits: Wait for Window… (the guest's windows, listed
// live), and for a rectangle dragged with Ctrl held, Wait for Text… (the rectangle read by OCR,
// editable) or Wait for This Region… (kept as an openQA needle in needles/ beside the test).
// The choices come out as signals for the recorder; the guest work runs on workers.
class ScreenWaits : public QObject {
    Q_OBJECT

public:
    ScreenWaits(QString machine, Workbench *workbench, QWidget *parent);

    void chooseWindow(Machine *m);
    // The menu for a rectangle of screen (the image the Screen showed when it was dragged).
    void offerRegion(const QImage &screen, const QRect &region, const QPoint &globalPos);
    // Where a needle of the test is written: needles/NAME.json beside its file.
    static QString needlePath(const QString &testFile, const QString &name);
    // The windows a user means first (the applications, by title, each once), then the window
    // manager's own (icewm's Frame, TitleBar, Close...), which xwininfo lists first.
    static QStringList windowsForChoice(const QStringList &names);

signals:
    void windowChosen(const QString &machine, const QString &window);
    void textChosen(const QString &machine, const QString &text);
    void regionChosen(const QString &machine, const QString &needle); // "needles/NAME.json"

private:
    void waitForText(const QImage &screen, const QRect &region);
    void waitForRegion(const QImage &screen, const QRect &region);

    QString m_machine;
    Workbench *m_workbench;
    QWidget *m_parent;
};

} // namespace vivarium
