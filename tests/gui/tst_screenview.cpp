// The Screen's mouse for recording: a click is reported in the guest's pixels (also when the
// screen is scaled), a Ctrl+drag is a rectangle and not a click.
#include "ui/machine/machinepanel.h"
#include "ui/screen/screenview.h"

#include <QSignalSpy>
#include <QTest>

using namespace vivarium;

class TestScreenView : public QObject {
    Q_OBJECT

private:
    // A 640x480 polled screen shown 1:1 in a window of its size.
    static bool shownAtItsSize(ScreenView &view)
    {
        QImage image(640, 480, QImage::Format_RGB32);
        image.fill(Qt::darkCyan);
        view.showPolledImage(image);
        view.setScaled(false);
        view.resize(640, 480);
        view.show();
        return QTest::qWaitForWindowExposed(&view);
    }

private slots:
    void aClickIsInTheGuestsPixels()
    {
        ScreenView view(true, QString()); // no VNC: a polled screen
        QVERIFY(shownAtItsSize(view));
        QSignalSpy clicks(&view, &ScreenView::clicked);
        QSignalSpy regions(&view, &ScreenView::regionSelected);
        QTest::mouseClick(&view, Qt::LeftButton, {}, QPoint(100, 50));
        QTest::mouseClick(&view, Qt::RightButton, {}, QPoint(300, 200));
        QCOMPARE(clicks.size(), 2);
        QCOMPARE(clicks.at(0), (QVariantList { 100, 50, QStringLiteral("left") }));
        QCOMPARE(clicks.at(1), (QVariantList { 300, 200, QStringLiteral("right") }));
        QCOMPARE(regions.size(), 0);

        // Scaled to half the size: the same guest pixel.
        view.setScaled(true);
        view.resize(320, 240);
        QTest::qWait(50);
        QTest::mouseClick(&view, Qt::LeftButton, {}, QPoint(50, 25));
        QCOMPARE(clicks.size(), 3);
        QCOMPARE(clicks.at(2).at(0).toInt(), 100);
        QCOMPARE(clicks.at(2).at(1).toInt(), 50);
    }

    void aStoppedMachinesScreenSaysSo()
    {
        // Its last frame was shown as if the machine still ran.
        ScreenView view(true, QString());
        QVERIFY(shownAtItsSize(view));
        const QRgb live = view.grab().toImage().pixel(20, 20);
        QCOMPARE(QColor(live), QColor(Qt::darkCyan));
        view.setNotice("Machine stopped at 10:16:17 — Start to boot it again");
        const QImage stopped = view.grab().toImage();
        QVERIFY(QColor(stopped.pixel(20, 20)) != QColor(Qt::darkCyan)); // dimmed
        QVERIFY(QColor(stopped.pixel(20, 20)).lightness() < QColor(live).lightness());
        view.setNotice({});
        QCOMPARE(QColor(view.grab().toImage().pixel(20, 20)), QColor(Qt::darkCyan));
    }

    void aCtrlDragIsARectangle()
    {
        ScreenView view(true, QString());
        QVERIFY(shownAtItsSize(view));
        QSignalSpy clicks(&view, &ScreenView::clicked);
        QSignalSpy regions(&view, &ScreenView::regionSelected);
        QTest::mousePress(&view, Qt::LeftButton, Qt::ControlModifier, QPoint(20, 30));
        QTest::mouseMove(&view, QPoint(150, 90));
        // Drawn while it is dragged: its left edge, half-way down.
        QCOMPARE(QColor(view.grab().toImage().pixel(20, 60)), QColor(255, 140, 0));
        QTest::mouseRelease(&view, Qt::LeftButton, Qt::ControlModifier, QPoint(220, 130));
        QCOMPARE(regions.size(), 1);
        QCOMPARE(regions.at(0).at(0).toRect(), QRect(QPoint(20, 30), QPoint(220, 130)));
        QCOMPARE(clicks.size(), 0);
        // The rectangle stays drawn while the user chooses what to do with it, then goes.
        const QColor orange(255, 140, 0);
        QCOMPARE(view.selection(), QRect(QPoint(20, 30), QPoint(220, 130)));
        QCOMPARE(QColor(view.grab().toImage().pixel(20, 80)), orange);
        view.clearSelection();
        QVERIFY(QColor(view.grab().toImage().pixel(20, 80)) != orange);
        // A plain drag is the guest's (moving a window): neither a click nor a rectangle.
        QTest::mousePress(&view, Qt::LeftButton, {}, QPoint(20, 30));
        QTest::mouseMove(&view, QPoint(120, 60));
        QTest::mouseRelease(&view, Qt::LeftButton, {}, QPoint(200, 100));
        QCOMPARE(regions.size(), 1);
        QCOMPARE(clicks.size(), 0);
    }

    void aRegionMapsOntoTheFramebuffer()
    {
        // Dragged on a 1280x800 picture, cut from the 1024x768 framebuffer of the same screen.
        QCOMPARE(MachinePanel::mapRegion(QRect(0, 0, 1280, 800), { 1280, 800 }, { 1024, 768 }),
            QRect(0, 0, 1024, 768));
        QCOMPARE(MachinePanel::mapRegion(QRect(640, 400, 320, 200), { 1280, 800 }, { 1024, 768 }),
            QRect(512, 384, 256, 192));
        QCOMPARE(MachinePanel::mapRegion(QRect(10, 20, 30, 40), { 640, 480 }, { 640, 480 }),
            QRect(10, 20, 30, 40));
    }
};

QTEST_MAIN(TestScreenView)
#include "tst_screenview.moc"
